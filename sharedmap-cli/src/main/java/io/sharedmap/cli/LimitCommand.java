package io.sharedmap.cli;

import io.sharedmap.client.Limits;
import io.sharedmap.client.LimitsRow;
import io.sharedmap.client.Principal;
import io.sharedmap.client.Principal.Kind;
import io.sharedmap.client.SharedMap;
import io.sharedmap.os.accounts.UnixAccounts;
import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.LongFunction;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code sharedmap limit set|unset|show}: per-user and per-group limits, like the seed's chres
 * ("looks and acts like chmod and chgrp"), applied at once and saved by the daemon.
 */
@Command(
        name = "limit",
        mixinStandardHelpOptions = true,
        description = {
            "Show or change per-user and per-group limits on keys, bytes (keys + values) and connections.",
            "  limit show [user:NAME|group:NAME|default|default-group]   limits beside usage",
            "  limit set user:NAME keys=N bytes=SIZE conns=N   (any of them; SIZE may end in K, M, G)",
            "  limit set group:NAME ...   limit set default ...   limit set default-group ...",
            "    default: each user with no limits of its own; default-group: all of those users together",
            "  limit unset user:NAME [keys] [bytes] [conns]   (no names: all of them)",
            "A user's limit it has none of is the default's; keys=unlimited (etc.) exempts it from that one.",
            "Only root and the daemon's --admin-group may change limits; anyone may see their own."
        },
        subcommands = {LimitCommand.Show.class, LimitCommand.Set.class, LimitCommand.Unset.class})
final class LimitCommand implements Callable<Integer> {
    @ParentCommand
    SharedMapCommand root;

    @Override
    public Integer call() {
        throw new CliException(ExitCodes.USAGE, "give show, set or unset (see 'sharedmap limit --help')");
    }

    /** {@code user:NAME}, {@code group:NAME} (names or ids), {@code default} or {@code default-group}. */
    static Principal principal(String s) {
        UnixAccounts names = UnixAccounts.system();
        if (s.equals("default")) {
            return Principal.DEFAULT;
        }
        if (s.equals("default-group")) {
            return Principal.DEFAULT_GROUP;
        }
        if (s.startsWith("user:")) {
            String n = s.substring(5);
            return new Principal(
                    Kind.USER,
                    names.uid(n).orElseThrow(() -> new CliException(ExitCodes.USAGE, "no user named '" + n + "'")));
        }
        if (s.startsWith("group:")) {
            String n = s.substring(6);
            return new Principal(
                    Kind.GROUP,
                    names.gid(n).orElseThrow(() -> new CliException(ExitCodes.USAGE, "no group named '" + n + "'")));
        }
        throw new CliException(ExitCodes.USAGE, "'" + s + "' is not user:NAME, group:NAME, default or default-group");
    }

    static String name(Principal p) {
        UnixAccounts names = UnixAccounts.system();
        return switch (p.kind()) {
            case USER -> "user:" + names.userName(p.id());
            case GROUP -> "group:" + names.groupName(p.id());
            case DEFAULT -> "default";
            case DEFAULT_GROUP -> "default-group";
        };
    }

    /** A size such as 1000, 64K, 10M, 2G (powers of 1024), or {@code unlimited}. */
    static long size(String name, String v) {
        if (v.trim().equals("unlimited")) {
            return Limits.UNLIMITED;
        }
        String s = v.trim().toUpperCase(Locale.ROOT);
        long unit = 1;
        if (s.endsWith("K") || s.endsWith("M") || s.endsWith("G")) {
            unit = switch (s.charAt(s.length() - 1)) {
                case 'K' -> 1L << 10;
                case 'M' -> 1L << 20;
                default -> 1L << 30;
            };
            s = s.substring(0, s.length() - 1);
        }
        try {
            long n = Long.parseLong(s);
            if (n < 0) {
                throw new NumberFormatException();
            }
            return Math.multiplyExact(n, unit);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new CliException(
                    ExitCodes.USAGE,
                    name + "=" + v + " is not a number >= 0 or unlimited"
                            + (name.equals("bytes") ? " (optionally with K, M or G)" : ""));
        }
    }

    /** A plain count >= 0, or {@code unlimited}. */
    static long count(String name, String v) {
        if (v.trim().equals("unlimited")) {
            return Limits.UNLIMITED;
        }
        try {
            long n = Long.parseLong(v.trim());
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // fall through to the message
        }
        throw new CliException(ExitCodes.USAGE, name + "=" + v + " is not a whole number >= 0 or unlimited");
    }

    static void print(PrintStream out, List<LimitsRow> rows) {
        out.printf("%-24s %12s %12s %14s %14s %8s %8s%n", "WHO", "KEYS", "LIMIT", "BYTES", "LIMIT", "CONNS", "LIMIT");
        for (LimitsRow r : rows) {
            Limits u = r.usage();
            Limits l = r.limits();
            boolean isDefault = r.principal().kind() == Kind.DEFAULT;
            out.printf(
                    "%-24s %12s %12s %14s %14s %8s %8s%n",
                    name(r.principal()),
                    isDefault ? "-" : u.keys(),
                    lim(l.keys(), Long::toString),
                    isDefault ? "-" : sizeString(u.bytes()),
                    lim(l.bytes(), LimitCommand::sizeString),
                    isDefault ? "-" : u.connections(),
                    lim(l.connections(), Long::toString));
        }
    }

    private static String lim(long v, LongFunction<String> amount) {
        return v == Limits.NONE ? "none" : v == Limits.UNLIMITED ? "unlimited" : amount.apply(v);
    }

    /**
     * A byte count as {@link #size} reads it: with the largest of G, M, K (powers of 1024) that
     * divides it exactly, e.g. 64M for 67108864; otherwise, and for 0, the number.
     */
    static String sizeString(long bytes) {
        if (bytes > 0) {
            for (int shift = 30; shift > 0; shift -= 10) {
                if (bytes % (1L << shift) == 0) {
                    return (bytes >> shift) + (shift == 30 ? "G" : shift == 20 ? "M" : "K");
                }
            }
        }
        return Long.toString(bytes);
    }

    /** {@code limit show [WHO]}. */
    @Command(
            name = "show",
            mixinStandardHelpOptions = true,
            description = "Limits beside usage: yours, or" + " (root, admin group) everyone's, or one principal's.")
    static final class Show implements Callable<Integer> {
        @ParentCommand
        LimitCommand limit;

        @Mixin
        SocketOption socket;

        @Parameters(
                arity = "0..1",
                paramLabel = "WHO",
                description = "user:NAME, group:NAME, default or default-group.")
        String who;

        @Override
        public Integer call() {
            try (SharedMap map = socket.connect()) {
                print(limit.root.out(), who == null ? map.limits() : List.of(map.limits(principal(who))));
            }
            return ExitCodes.OK;
        }
    }

    /** {@code limit set WHO keys=N bytes=SIZE conns=N}. */
    @Command(
            name = "set",
            mixinStandardHelpOptions = true,
            description =
                    "Set limits (the others stay as they" + " are). Applies at once; saved in the data directory.")
    static final class Set implements Callable<Integer> {
        @ParentCommand
        LimitCommand limit;

        @Mixin
        SocketOption socket;

        @Parameters(index = "0", paramLabel = "WHO", description = "user:NAME, group:NAME, default or default-group.")
        String who;

        @Parameters(
                index = "1..*",
                arity = "1..*",
                paramLabel = "NAME=VALUE",
                description = "keys=N, bytes=SIZE,"
                        + " conns=N; a VALUE of 'unlimited' exempts a user from the default's limit.")
        List<String> settings;

        @Override
        public Integer call() {
            long keys = Limits.KEEP;
            long bytes = Limits.KEEP;
            long conns = Limits.KEEP;
            for (String s : settings) {
                int eq = s.indexOf('=');
                String n = eq < 0 ? s : s.substring(0, eq);
                String v = eq < 0 ? "" : s.substring(eq + 1);
                switch (n) {
                    case "keys" -> keys = count(n, v);
                    case "bytes" -> bytes = size(n, v);
                    case "conns" -> conns = count(n, v);
                    default ->
                        throw new CliException(
                                ExitCodes.USAGE, "'" + s + "' is not keys=N, bytes=SIZE" + " or conns=N");
                }
            }
            Principal p = principal(who);
            try (SharedMap map = socket.connect()) {
                print(limit.root.out(), List.of(map.setLimits(p, new Limits(keys, bytes, conns))));
            }
            return ExitCodes.OK;
        }
    }

    /** {@code limit unset WHO [keys] [bytes] [conns]}. */
    @Command(
            name = "unset",
            mixinStandardHelpOptions = true,
            description = "Remove limits (all of them when none" + " is named).")
    static final class Unset implements Callable<Integer> {
        @ParentCommand
        LimitCommand limit;

        @Mixin
        SocketOption socket;

        @Parameters(index = "0", paramLabel = "WHO", description = "user:NAME, group:NAME, default or default-group.")
        String who;

        @Parameters(index = "1..*", arity = "0..*", paramLabel = "LIMIT", description = "keys, bytes, conns.")
        List<String> which = List.of();

        @Override
        public Integer call() {
            for (String w : which) {
                if (!w.equals("keys") && !w.equals("bytes") && !w.equals("conns")) {
                    throw new CliException(ExitCodes.USAGE, "'" + w + "' is not keys, bytes or conns");
                }
            }
            boolean all = which.isEmpty();
            Principal p = principal(who);
            try (SharedMap map = socket.connect()) {
                print(
                        limit.root.out(),
                        List.of(map.unsetLimits(
                                p,
                                all || which.contains("keys"),
                                all || which.contains("bytes"),
                                all || which.contains("conns"))));
            }
            return ExitCodes.OK;
        }
    }
}
