/** The l25 module. */
module hakmem.l25 {
    requires hakmem.api;
}
