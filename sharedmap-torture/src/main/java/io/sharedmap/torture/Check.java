package io.sharedmap.torture;

/**
 * The properties a torture run checks. Each finding of a run is filed under one of them where it
 * is made (a worker names it in its {@code failure} report), and each gets one verdict line.
 */
enum Check {
    CORRUPTION("corruption", "(a) corruption"),
    LOST_UPDATES("lost-updates", "(b) lost updates"),
    LINEARIZABILITY("linearizability", "(c) linearizability"),
    STALLS("stalls", "(d) stalls"),
    DIRECT_READS("direct-reads", "(e) direct reads"),
    /** The run itself: a worker or the daemon that died, a restart that failed, a result not read. */
    RUN("run", "run");

    private final String reportName;
    private final String title;

    Check(String reportName, String title) {
        this.reportName = reportName;
        this.title = title;
    }

    /** Its name in worker reports. */
    String reportName() {
        return reportName;
    }

    /** Its name on the verdict line. */
    String title() {
        return title;
    }

    /** The check a report names; an unknown name is filed under {@link #RUN}. */
    static Check fromReportName(String name) {
        for (Check c : values()) {
            if (c.reportName.equals(name)) {
                return c;
            }
        }
        return RUN;
    }
}
