/** The l2 module. */
module hakmem.l2 {
    requires hakmem.api;
}
