/** The learn module. */
module hakmem.learn {
    requires hakmem.api;
}
