module hakmem.bench {
    requires hakmem.api;
}
