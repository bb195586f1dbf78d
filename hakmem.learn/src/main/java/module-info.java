/** hakmem's learning engine: a {@link hakmem.api.spi.LearnerProvider}. */
module hakmem.learn {
    requires hakmem.api;

    provides hakmem.api.spi.LearnerProvider with hakmem.learn.EngineLearnerProvider;
}
