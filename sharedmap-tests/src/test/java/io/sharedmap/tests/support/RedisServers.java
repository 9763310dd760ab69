package io.sharedmap.tests.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Collectors;

/**
 * Real redis-server processes on loopback: one server, or a cluster of primaries (with or without
 * replicas) built with {@code redis-cli --cluster create}. Without {@code redis-server} this fails, naming
 * what to run ({@code .ci/run} installs it): never skipped silently. Readiness is a bounded poll
 * of {@code PING} (and {@code CLUSTER INFO}'s {@code cluster_state:ok}), never a sleep.
 */
public final class RedisServers implements AutoCloseable {
    public static final Duration START_TIMEOUT = Duration.ofSeconds(60);

    private final List<Integer> ports;
    private final List<ChildProcess> processes = new ArrayList<>();
    private final Path dir;
    private final boolean cluster;
    private final int replicas;

    private RedisServers(List<Integer> ports, Path dir, boolean cluster, int replicas) {
        this.ports = ports;
        this.dir = dir;
        this.cluster = cluster;
        this.replicas = replicas;
    }

    /** One server, no persistence. */
    public static RedisServers single(Path dir) {
        return start(1, dir, false, 0);
    }

    /** A cluster of {@code primaries} primaries, slots spread evenly, no replicas. */
    public static RedisServers cluster(int primaries, Path dir) {
        return start(primaries, dir, true, 0);
    }

    /**
     * A cluster of {@code primaries} primaries with {@code replicas} replicas each (redis-cli chooses
     * which server is which: see {@link #role}), every replica's link to its primary up. With a node
     * timeout of 2 s a replica takes over within seconds of its primary's death.
     */
    public static RedisServers cluster(int primaries, int replicas, Path dir) {
        return start(primaries * (1 + replicas), dir, true, replicas);
    }

    private static RedisServers start(int n, Path dir, boolean cluster, int replicas) {
        String server = binary("redis-server");
        List<Integer> ports = new ArrayList<>();
        while (ports.size() < n) {
            int p = ThreadLocalRandom.current().nextInt(20_000, 30_000); // +10000 (the cluster bus) < 65536
            if (!ports.contains(p) && free(p) && (!cluster || free(p + 10_000))) {
                ports.add(p);
            }
        }
        RedisServers s = new RedisServers(List.copyOf(ports), dir, cluster, replicas);
        try {
            for (int p : ports) {
                s.launch(server, p);
            }
            for (int p : ports) {
                Await.until(
                        "redis-server on port " + p + " answers PING",
                        () -> "+PONG".equals(ask(p, "PING")),
                        START_TIMEOUT);
            }
            if (cluster) {
                s.createCluster();
            }
        } catch (RuntimeException | Error e) {
            s.close();
            throw e;
        }
        return s;
    }

    static String binary(String name) {
        for (String d : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            Path p = Path.of(d.isEmpty() ? "." : d, name);
            if (Files.isExecutable(p)) {
                return p.toString();
            }
        }
        throw new AssertionError(name + " is not installed (not on PATH): the Redis backend's tests need a real"
                + " Redis; run .ci/run, which installs the Debian package redis-server (or: apt-get install"
                + " redis-server)");
    }

    private static boolean free(int port) {
        try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            return s.isBound();
        } catch (IOException e) {
            return false;
        }
    }

    private void launch(String server, int port) {
        Path data = dir.resolve("redis-" + port);
        try {
            Files.createDirectories(data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<String> command = new ArrayList<>(List.of(
                server,
                "--port",
                Integer.toString(port),
                "--bind",
                "127.0.0.1",
                "--dir",
                data.toString(),
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no"));
        if (cluster) {
            command.addAll(List.of(
                    "--cluster-enabled",
                    "yes",
                    "--cluster-config-file",
                    "nodes.conf",
                    "--cluster-node-timeout",
                    "2000"));
        }
        processes.add(ChildProcess.start("redis-" + port, command, dir.resolve("logs")));
    }

    private void createCluster() {
        List<String> command = new ArrayList<>(List.of(binary("redis-cli"), "--cluster", "create"));
        for (int p : ports) {
            command.add("127.0.0.1:" + p);
        }
        command.addAll(List.of("--cluster-replicas", Integer.toString(replicas), "--cluster-yes"));
        ChildProcess create = ChildProcess.start("redis-cluster-create", command, dir.resolve("logs"));
        create.awaitExit(START_TIMEOUT, 0);
        for (int p : ports) {
            Await.until(
                    "redis-server on port " + p + " reports cluster_state:ok",
                    () -> {
                        String info = ask(p, "CLUSTER", "INFO");
                        return info != null && info.contains("cluster_state:ok");
                    },
                    START_TIMEOUT);
        }
        for (int i = 0; i < ports.size() && replicas > 0; i++) {
            int p = ports.get(i);
            Await.until(
                    "redis-server on port " + p + " is a primary or a replica whose link to its primary is up",
                    () -> {
                        String info = ask(p, "INFO", "replication");
                        return info != null && (info.contains("role:master") || info.contains("master_link_status:up"));
                    },
                    START_TIMEOUT);
        }
    }

    /** Server {@code i}'s role now: {@code master}, {@code slave}, or null when it does not answer. */
    public String role(int i) {
        String info = ask(ports.get(i), "INFO", "replication");
        if (info == null) {
            return null;
        }
        return info.contains("role:master") ? "master" : info.contains("role:slave") ? "slave" : null;
    }

    /** The index of the primary that replica {@code i} follows, or -1. */
    public int primaryOf(int i) {
        String info = ask(ports.get(i), "INFO", "replication");
        if (info == null) {
            return -1;
        }
        for (String line : info.split("\r?\n")) {
            if (line.startsWith("master_port:")) {
                return ports.indexOf(
                        Integer.parseInt(line.substring("master_port:".length()).trim()));
            }
        }
        return -1;
    }

    /** The index of a replica of primary {@code i}, or -1. */
    public int replicaOf(int i) {
        for (int r = 0; r < ports.size(); r++) {
            if (r != i && "slave".equals(role(r)) && primaryOf(r) == i) {
                return r;
            }
        }
        return -1;
    }

    /** Kills server {@code i} with SIGKILL and waits until it is gone. */
    public void kill9(int i) {
        processes.get(i).kill9();
    }

    /** Stops ({@code SIGSTOP}) or continues ({@code SIGCONT}) server {@code i}: a server that lags. */
    public void signal(int i, String signal) {
        ChildProcess kill = ChildProcess.start(
                "kill-" + signal + "-" + ports.get(i),
                List.of("kill", "-" + signal, Long.toString(processes.get(i).pid())),
                dir.resolve("logs"));
        kill.awaitExit(Duration.ofSeconds(10), 0);
    }

    /**
     * Waits until replica {@code i} has taken over (calls itself a primary) and every live server
     * reports {@code cluster_state:ok}.
     */
    public void awaitPromoted(int i, Duration timeout) {
        Await.until(
                "redis-server on port " + ports.get(i) + " is promoted to primary",
                () -> "master".equals(role(i)),
                timeout);
        for (int s = 0; s < ports.size(); s++) {
            if (!processes.get(s).isAlive()) {
                continue;
            }
            int p = ports.get(s);
            Await.until(
                    "redis-server on port " + p + " reports cluster_state:ok after the failover",
                    () -> {
                        String info = ask(p, "CLUSTER", "INFO");
                        return info != null && info.contains("cluster_state:ok");
                    },
                    timeout);
        }
    }

    /** {@code redis-cluster://127.0.0.1:p,...} or {@code redis://127.0.0.1:p}. */
    public URI url() {
        return URI.create((cluster ? "redis-cluster://" : "redis://")
                + ports.stream().map(p -> "127.0.0.1:" + p).collect(Collectors.joining(",")));
    }

    /** One command to server {@code i}, as {@link #ask} answers it. */
    public String command(int i, String... words) {
        return ask(ports.get(i), words);
    }

    public List<Integer> ports() {
        return ports;
    }

    /**
     * One command on a fresh connection: the reply's first line for a simple reply, the payload of a
     * bulk reply, null when the server does not answer (yet).
     */
    static String ask(int port, String... words) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1000);
            s.setSoTimeout(2000);
            StringBuilder cmd = new StringBuilder("*" + words.length + "\r\n");
            for (String w : words) {
                cmd.append('$').append(w.length()).append("\r\n").append(w).append("\r\n");
            }
            OutputStream out = s.getOutputStream();
            out.write(cmd.toString().getBytes(StandardCharsets.UTF_8));
            out.flush();
            InputStream in = s.getInputStream();
            String first = line(in);
            if (first.startsWith("$")) {
                int length = Integer.parseInt(first.substring(1));
                return length < 0 ? "" : new String(in.readNBytes(length), StandardCharsets.UTF_8);
            }
            return first;
        } catch (IOException e) {
            return null;
        }
    }

    private static String line(InputStream in) throws IOException {
        StringBuilder b = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0 && c != '\n') {
            if (c != '\r') {
                b.append((char) c);
            }
        }
        return b.toString();
    }

    @Override
    public void close() {
        for (ChildProcess p : processes) {
            p.kill9();
        }
    }
}
