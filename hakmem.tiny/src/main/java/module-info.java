/** The tiny module. */
module hakmem.tiny {
    requires hakmem.api;
}
