package io.sharedmap.tests.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Real etcd members on loopback, each with its own ports and data directory under {@code dir},
 * started as child processes (Debian's {@code etcd-server}; {@code .ci/run} installs it). When
 * {@code etcd} is not installed this fails, naming what to run: a test that needs etcd is never
 * skipped silently.
 *
 * <p>Health is a bounded poll of each member's {@code /health} (HTTP, on the client port): it
 * answers {@code "health":"true"} once the member has a leader and serves linearizable reads.
 */
public final class EtcdCluster implements AutoCloseable {
    /** How long a cluster may take to elect a leader and answer. */
    public static final Duration START_TIMEOUT = Duration.ofSeconds(60);

    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    /** One member: its name, ports and data directory. */
    public record Member(String name, int clientPort, int peerPort, Path dataDir) {
        String clientUrl() {
            return "http://127.0.0.1:" + clientPort;
        }

        String peerUrl() {
            return "http://127.0.0.1:" + peerPort;
        }
    }

    private final List<Member> members;
    private final List<ChildProcess> processes;
    private final Path logDir;
    private final String token = "sharedmap-test-" + UUID.randomUUID();

    private EtcdCluster(List<Member> members, Path logDir) {
        this.members = members;
        this.processes = new ArrayList<>();
        this.logDir = logDir;
    }

    /** Starts {@code size} members under {@code dir} and waits until every one is healthy. */
    public static EtcdCluster start(int size, Path dir) {
        String etcd = etcdBinary();
        List<Member> members = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            members.add(new Member("m" + i, freePort(), freePort(), dir.resolve("m" + i)));
        }
        EtcdCluster cluster = new EtcdCluster(List.copyOf(members), dir.resolve("logs"));
        try {
            for (int i = 0; i < size; i++) {
                cluster.processes.add(cluster.launch(etcd, members.get(i), "start"));
            }
            for (int i = 0; i < size; i++) {
                cluster.awaitHealthy(i, START_TIMEOUT);
            }
        } catch (RuntimeException | Error e) {
            cluster.close();
            throw e;
        }
        return cluster;
    }

    /** The {@code etcd} binary; an AssertionError telling to run {@code .ci/run} when there is none. */
    static String etcdBinary() {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, "etcd");
            if (Files.isExecutable(p)) {
                return p.toString();
            }
        }
        throw new AssertionError(
                "etcd is not installed (no etcd on PATH): the etcd backend's tests need a real"
                        + " etcd; run .ci/run, which installs the Debian package etcd-server (or: apt-get install etcd-server)");
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free loopback port", e);
        }
    }

    private ChildProcess launch(String etcd, Member m, String incarnation) {
        String initialCluster =
                members.stream().map(x -> x.name() + "=" + x.peerUrl()).collect(Collectors.joining(","));
        List<String> command = List.of(
                etcd,
                "--name",
                m.name(),
                "--data-dir",
                m.dataDir().toString(),
                "--listen-client-urls",
                m.clientUrl(),
                "--advertise-client-urls",
                m.clientUrl(),
                "--listen-peer-urls",
                m.peerUrl(),
                "--initial-advertise-peer-urls",
                m.peerUrl(),
                "--initial-cluster",
                initialCluster,
                "--initial-cluster-state",
                "new",
                "--initial-cluster-token",
                token);
        return ChildProcess.start("etcd-" + m.name() + "-" + incarnation, command, logDir);
    }

    /** {@code etcd://127.0.0.1:port,...} naming every member. */
    public URI url() {
        return URI.create("etcd://"
                + members.stream().map(m -> "127.0.0.1:" + m.clientPort()).collect(Collectors.joining(",")));
    }

    public List<Member> members() {
        return members;
    }

    /**
     * Runs {@code etcdctl} (Debian's {@code etcd-client}) against every member with {@code args},
     * e.g. {@code user add app:pw}, and asserts that it succeeds. Every call is bounded.
     */
    public void etcdctl(String... args) {
        List<String> command = new ArrayList<>(List.of(
                etcdctlBinary(),
                "--endpoints",
                members.stream().map(Member::clientUrl).collect(Collectors.joining(","))));
        command.addAll(List.of(args));
        ChildProcess p = ChildProcess.start("etcdctl-" + UUID.randomUUID(), command, logDir);
        p.awaitExit(Duration.ofSeconds(30), 0);
    }

    private static String etcdctlBinary() {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, "etcdctl");
            if (Files.isExecutable(p)) {
                return p.toString();
            }
        }
        throw new AssertionError("etcdctl is not installed (no etcdctl on PATH): run .ci/run, which installs the"
                + " Debian package etcd-client (or: apt-get install etcd-client)");
    }

    /**
     * The index of the member that is the leader now, as the members say (each one's {@code
     * Maintenance/Status} through etcd's JSON gateway: its own id and its leader's); -1 when no
     * member calls itself the leader.
     */
    public int leader() {
        Pattern memberId = Pattern.compile("\"member_id\":\"(\\d+)\"");
        Pattern leader = Pattern.compile("\"leader\":\"(\\d+)\"");
        for (int i = 0; i < members.size(); i++) {
            if (!processes.get(i).isAlive()) {
                continue;
            }
            try {
                HttpResponse<String> r = HTTP.send(
                        HttpRequest.newBuilder(URI.create(members.get(i).clientUrl() + "/v3/maintenance/status"))
                                .timeout(Duration.ofSeconds(2))
                                .POST(HttpRequest.BodyPublishers.ofString("{}"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                Matcher self = memberId.matcher(r.body());
                Matcher lead = leader.matcher(r.body());
                if (r.statusCode() == 200
                        && self.find()
                        && lead.find()
                        && self.group(1).equals(lead.group(1))) {
                    return i;
                }
            } catch (IOException e) {
                // not answering: not the leader we can use
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return -1;
            }
        }
        return -1;
    }

    /** Kills member {@code i} with SIGKILL and waits for it to be gone. */
    public void kill9(int i) {
        ChildProcess p = processes.get(i);
        p.kill9();
        p.awaitExit(Duration.ofSeconds(30));
    }

    /** Starts member {@code i} again on its data directory and waits until it is healthy. */
    public void restart(int i, String incarnation) {
        processes.set(i, launch(etcdBinary(), members.get(i), incarnation));
        awaitHealthy(i, START_TIMEOUT);
    }

    private void awaitHealthy(int i, Duration timeout) {
        Member m = members.get(i);
        ChildProcess p = processes.get(i);
        Await.until(
                "etcd member " + m.name() + " on " + m.clientUrl() + " reports healthy (its log: " + p.stderrLog()
                        + ")",
                () -> {
                    if (!p.isAlive()) {
                        throw new AssertionError("etcd member " + m.name() + " exited; see " + p.stderrLog());
                    }
                    return healthy(m);
                },
                timeout);
    }

    private static boolean healthy(Member m) {
        try {
            HttpResponse<String> r = HTTP.send(
                    HttpRequest.newBuilder(URI.create(m.clientUrl() + "/health"))
                            .timeout(Duration.ofSeconds(2))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 && r.body().replace(" ", "").contains("\"health\":\"true\"");
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Kills every member (the data directories are the caller's to delete). */
    @Override
    public void close() {
        for (ChildProcess p : processes) {
            p.kill9();
        }
        for (ChildProcess p : processes) {
            p.awaitExit(Duration.ofSeconds(30));
        }
    }
}
