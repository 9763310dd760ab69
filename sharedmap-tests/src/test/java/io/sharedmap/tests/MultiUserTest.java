package io.sharedmap.tests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.sharedmap.client.Entry;
import io.sharedmap.client.KeyInfo;
import io.sharedmap.client.KeyOwner;
import io.sharedmap.client.Limits;
import io.sharedmap.client.LimitsRow;
import io.sharedmap.client.Options;
import io.sharedmap.client.Principal;
import io.sharedmap.client.Principal.Kind;
import io.sharedmap.client.SharedMap;
import io.sharedmap.tests.clients.WatcherMain;
import io.sharedmap.tests.support.Await;
import io.sharedmap.tests.support.ChildProcess;
import io.sharedmap.tests.support.DaemonProcess;
import io.sharedmap.tests.support.JavaCommand;
import io.sharedmap.tests.support.SystemTestEnv;
import io.sharedmap.tests.support.Tool;
import io.sharedmap.tests.support.UnixUsers;
import io.sharedmap.tests.support.UnixUsers.User;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Key permissions and per-user/per-group limits (issue 5) with real Unix users: the class creates
 * users and groups with {@code useradd}/{@code groupadd} and runs client JVMs as them ({@code
 * setpriv}), so the daemon identifies every caller by SO_PEERCRED exactly as in production. Root's
 * requests come from this (root) JVM.
 *
 * <p>Users: alice and bob in group team; carol in group other; dave in group other and, as a
 * supplementary group, in admins (the daemon's {@code --admin-group}). They are removed after the
 * class. Needs root (CI runs as root); skipped, saying why, without it.
 */
class MultiUserTest {
    private static final String TEAM = "smtest_team";
    private static final String OTHER = "smtest_other";
    private static final String ADMINS = "smtest_admins";
    private static final List<String> USERS = List.of("smtest_alice", "smtest_bob", "smtest_carol", "smtest_dave");
    private static final List<String> GROUPS = List.of(TEAM, OTHER, ADMINS);
    private static final long KEEP = Limits.KEEP;
    private static final Duration RACE_TIMEOUT = Duration.ofSeconds(120);
    /** Time for every racer to get its command and warm up; a late one merely starts late. */
    private static final Duration RACE_START_DELAY = Duration.ofMillis(2000);

    private static FileLock usersLock;
    private static Path classPathCopy;
    private static String publicClassPath;
    private static long team;
    private static long other;
    private static User alice;
    private static User bob;
    private static User carol;
    private static User dave;

    @RegisterExtension
    final SystemTestEnv env = new SystemTestEnv();

    @BeforeAll
    static void createUsers() throws IOException {
        String why = UnixUsers.unavailableReason();
        assumeTrue(why == null, () -> "MultiUserTest skipped: " + why);
        usersLock = UnixUsers.lock("sharedmap-multiusertest");
        team = UnixUsers.ensureGroup(TEAM);
        other = UnixUsers.ensureGroup(OTHER);
        UnixUsers.ensureGroup(ADMINS);
        alice = UnixUsers.ensureUser("smtest_alice", TEAM);
        bob = UnixUsers.ensureUser("smtest_bob", TEAM);
        carol = UnixUsers.ensureUser("smtest_carol", OTHER);
        dave = UnixUsers.ensureUser("smtest_dave", OTHER, ADMINS);
        classPathCopy = Files.createTempDirectory(Path.of("/tmp"), "smt-cp-");
        publicClassPath = UnixUsers.publicClassPath(classPathCopy);
    }

    @AfterAll
    static void removeUsers() throws IOException {
        if (usersLock == null) {
            return; // skipped: nothing was created
        }
        List<String> problems = new ArrayList<>();
        try {
            for (String u : USERS) {
                String p = UnixUsers.removeUser(u);
                if (p != null) {
                    problems.add(p);
                }
            }
            for (String g : GROUPS) {
                String p = UnixUsers.removeGroup(g);
                if (p != null) {
                    problems.add(p);
                }
            }
            UnixUsers.deleteTree(classPathCopy);
        } finally {
            usersLock.channel().close();
            usersLock = null;
        }
        assertThat(problems).as("removing the test users and groups").isEmpty();
    }

    // ---- key permissions ----------------------------------------------------------------------

    /**
     * Every operation is checked against the key's owner, group and mode, for owner, group member and
     * other, before and after chmod; only the owner may chmod, only root and the admin group may
     * chown, and chown moves the key's usage to the new owner and group.
     */
    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void keyModes_everyOperationIsCheckedForOwnerGroupAndOthers_rootPasses() {
        DaemonProcess daemon = startDaemon();
        UserActor a = actor("alice", alice, daemon);
        UserActor b = actor("bob", bob, daemon);
        UserActor c = actor("carol", carol, daemon);
        UserActor d = actor("dave", dave, daemon);
        awaitReady(a, b, c, d);
        assertThat(d.groups()).as("dave's supplementary groups").contains(UnixUsers.gid(ADMINS));
        try (SharedMap root = rootClient(daemon)) {
            assertThat(a.ok("set", "p/doc", "v1")).startsWith("CREATED ");
            long v1 = root.get("p/doc").orElseThrow().version();
            assertThat(a.ok("keyso", "p/"))
                    .as("umask 022: rw-r--r--, owner alice, group team")
                    .isEqualTo("p/doc:" + alice.uid() + ":" + team + ":644");

            // rw-r--r--: bob (group) and carol (other) read; neither may change it in any way
            assertThat(b.ok("get", "p/doc")).isEqualTo("FOUND " + v1 + " v1");
            assertThat(c.ok("get", "p/doc")).isEqualTo("FOUND " + v1 + " v1");
            assertThat(b.denied("set", "p/doc", "bob1")).contains("p/doc", "smtest_alice", "rw-r--r--");
            b.denied("del", "p/doc");
            b.denied("cas", "p/doc", Long.toString(v1), "bob2");
            b.denied("cas", "p/doc", "0", "bob3");
            c.denied("set", "p/doc", "carol1");
            c.denied("del", "p/doc");
            c.denied("cas", "p/doc", Long.toString(v1), "carol2");
            assertThat(root.get("p/doc")).as("refused writes changed nothing").contains(new Entry("v1".getBytes(), v1));

            // only the owner (or root) may change the mode
            assertThat(b.denied("chmod", "p/doc", "666")).contains("p/doc");
            c.denied("chmod", "p/doc", "666");
            d.denied("chmod", "p/doc", "666");
            assertThat(mode(root, "p/doc")).isEqualTo(0644);

            // rw-rw----: bob writes, carol can do nothing
            assertThat(a.ok("chmod", "p/doc", "660")).isEqualTo("true 1 0");
            assertThat(b.ok("set", "p/doc", "bob1")).startsWith("UPDATED ");
            long v2 = root.get("p/doc").orElseThrow().version();
            assertThat(c.denied("get", "p/doc")).contains("p/doc", "rw-rw----");
            c.denied("set", "p/doc", "carol3");
            c.denied("del", "p/doc");
            c.denied("cas", "p/doc", Long.toString(v2), "carol4");
            assertThat(b.ok("cas", "p/doc", Long.toString(v2), "bob2")).startsWith("APPLIED ");
            assertThat(owner(root, "p/doc"))
                    .as("a group member's write keeps the key's owner")
                    .isEqualTo(new KeyOwner(alice.uid(), team, 0660));

            // rw-------: bob cannot even read; root reads and writes everything
            assertThat(a.ok("chmod", "p/doc", "600")).isEqualTo("true 1 0");
            b.denied("get", "p/doc");
            b.denied("set", "p/doc", "bob3");
            assertThat(a.ok("get", "p/doc")).endsWith(" bob2");
            assertThat(root.get("p/doc").orElseThrow().valueAsString()).isEqualTo("bob2");
            assertThat(root.set("p/doc", "root1").created()).isFalse();
            assertThat(a.ok("get", "p/doc")).endsWith(" root1");

            // chown: neither the owner nor another user; the admin group may, and the usage moves
            long bytes = "p/doc".length() + "root1".length();
            assertThat(usage(root, user(alice))).isEqualTo(new Limits(1, bytes, 1));
            assertThat(a.denied("chown", "p/doc", Long.toString(carol.uid()), Long.toString(other)))
                    .contains("may not change owners");
            b.denied("chown", "p/doc", Long.toString(bob.uid()), "-1");
            c.denied("chown", "p/doc", Long.toString(carol.uid()), Long.toString(other));
            assertThat(owner(root, "p/doc")).isEqualTo(new KeyOwner(alice.uid(), team, 0600));
            assertThat(d.ok("chown", "p/doc", Long.toString(carol.uid()), Long.toString(other)))
                    .isEqualTo("true 1 0");
            assertThat(owner(root, "p/doc")).isEqualTo(new KeyOwner(carol.uid(), other, 0600));
            assertThat(usage(root, user(alice))).isEqualTo(new Limits(0, 0, 1));
            assertThat(usage(root, group(team))).isEqualTo(new Limits(0, 0, 2));
            assertThat(usage(root, user(carol))).isEqualTo(new Limits(1, bytes, 1));
            assertThat(usage(root, group(other)))
                    .as("carol's key; carol's and dave's connections")
                    .isEqualTo(new Limits(1, bytes, 2));

            // the new owner reads and may chmod; the old one may do neither
            assertThat(c.ok("get", "p/doc")).endsWith(" root1");
            a.denied("get", "p/doc");
            a.denied("chmod", "p/doc", "666");
            // group other may write after chmod 0660: dave (in other, not the owner) deletes it
            assertThat(c.ok("chmod", "p/doc", "660")).isEqualTo("true 1 0");
            assertThat(d.ok("del", "p/doc")).startsWith("DELETED ");
            assertThat(usage(root, user(carol))).isEqualTo(new Limits(0, 0, 1));
            assertThat(root.get("p/doc")).isEmpty();
        }
    }

    /**
     * A scan (plain, paged, with owners) lists exactly the keys the caller may read; chmod of a prefix
     * changes only the caller's own keys and the listings follow.
     */
    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void scan_listsOnlyKeysTheCallerMayRead_withTheirOwnersAndModes() {
        DaemonProcess daemon = startDaemon();
        UserActor a = actor("alice", alice, daemon);
        UserActor b = actor("bob", bob, daemon);
        UserActor c = actor("carol", carol, daemon);
        UserActor d = actor("dave", dave, daemon);
        awaitReady(a, b, c, d);
        try (SharedMap root = rootClient(daemon)) {
            for (String k : List.of("s/a1", "s/a2", "s/a3")) {
                a.ok("set", k, "x");
            }
            b.ok("set", "s/b1", "x");
            b.ok("set", "s/b2", "x");
            c.ok("set", "s/c1", "x");
            root.set("s/r1", "x");
            a.ok("chmod", "s/a2", "640");
            a.ok("chmod", "s/a3", "600");
            b.ok("chmod", "s/b2", "600");
            c.ok("chmod", "s/c1", "600");

            assertThat(keys(c, "s/")).containsExactly("s/a1", "s/b1", "s/c1", "s/r1");
            assertThat(keys(c, "")).as("empty prefix").containsExactly("s/a1", "s/b1", "s/c1", "s/r1");
            assertThat(keys(b, "s/")).containsExactly("s/a1", "s/a2", "s/b1", "s/b2", "s/r1");
            assertThat(keys(a, "s/")).containsExactly("s/a1", "s/a2", "s/a3", "s/b1", "s/r1");
            assertThat(keys(d, "s/")).as("admin group gives no read access").containsExactly("s/a1", "s/b1", "s/r1");
            assertThat(root.keys("s/".getBytes()).map(KeyInfo::keyAsString).toList())
                    .containsExactly("s/a1", "s/a2", "s/a3", "s/b1", "s/b2", "s/c1", "s/r1");
            for (String pageSize : List.of("1", "2")) {
                assertThat(a.ok("keyspaged", "s/", pageSize).split(" ")[1].split(","))
                        .as("alice, pages of %s", pageSize)
                        .containsExactly("s/a1", "s/a2", "s/a3", "s/b1", "s/r1");
                assertThat(c.ok("keyspaged", "s/", pageSize).split(" ")[1].split(","))
                        .as("carol, pages of %s", pageSize)
                        .containsExactly("s/a1", "s/b1", "s/c1", "s/r1");
            }
            assertThat(c.ok("keyspaged", "s/a", "1").split(" ")[1])
                    .as("carol under s/a")
                    .isEqualTo("s/a1");
            assertThat(c.ok("keys", "s/b2"))
                    .as("an unreadable key is not found by its exact prefix")
                    .isEqualTo("-");

            String au = Long.toString(alice.uid());
            String bu = Long.toString(bob.uid());
            assertThat(c.ok("keyso", "s/").split(","))
                    .containsExactly(
                            "s/a1:" + au + ":" + team + ":644",
                            "s/b1:" + bu + ":" + team + ":644",
                            "s/c1:" + carol.uid() + ":" + other + ":600",
                            "s/r1:0:0:644");
            assertThat(a.ok("keyso", "s/").split(","))
                    .containsExactly(
                            "s/a1:" + au + ":" + team + ":644",
                            "s/a2:" + au + ":" + team + ":640",
                            "s/a3:" + au + ":" + team + ":600",
                            "s/b1:" + bu + ":" + team + ":644",
                            "s/r1:0:0:644");

            // alice narrows everything under s/: only her three keys change
            // (skipped: 2, s/b1 and s/r1; s/b2 and s/c1, which alice may not read, are not counted)
            assertThat(a.ok("chmodp", "s/", "600")).isEqualTo("true 3 2");
            assertThat(keys(c, "s/")).containsExactly("s/b1", "s/c1", "s/r1");
            assertThat(keys(b, "s/")).containsExactly("s/b1", "s/b2", "s/r1");
            assertThat(keys(a, "s/")).containsExactly("s/a1", "s/a2", "s/a3", "s/b1", "s/r1");
            // root may chmod anyone's keys
            assertThat(root.chmodPrefix("s/".getBytes(), 0644).changed()).isEqualTo(7);
            assertThat(keys(c, "s/")).containsExactly("s/a1", "s/a2", "s/a3", "s/b1", "s/b2", "s/c1", "s/r1");
        }
    }

    // ---- limits -------------------------------------------------------------------------------

    /**
     * A user's keys and bytes limits: the create (or growth) that would pass one is refused with a
     * message naming the limit, the usage and the request; nothing is stored; deleting frees quota.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void userLimits_refuseTheChangeOverThem_storeNothing_deleteFreesQuota() {
        DaemonProcess daemon = startDaemon();
        UserActor a = actor("alice", alice, daemon).awaitReady();
        try (SharedMap root = rootClient(daemon)) {
            LimitsRow set = root.setLimits(user(alice), new Limits(3, 1000, KEEP));
            assertThat(set.limits()).isEqualTo(new Limits(3, 1000, -1));
            for (int i = 1; i <= 3; i++) {
                assertThat(a.ok("set", "l/" + i, "aaaa")).startsWith("CREATED ");
            }
            Limits full = new Limits(3, 3 * 7, 1);
            assertThat(usage(root, user(alice))).isEqualTo(full);

            String refusal = a.quota("set", "l/4", "aaaa");
            assertThat(refusal).contains("smtest_alice", "keys limit", "limit 3", "usage 3", "needs 1");
            assertThat(a.quota("cas", "l/4", "0", "aaaa")).contains("keys limit");
            assertThat(a.quota("setr", "l/4", "aaaa"))
                    .as("a recovering client gets the refusal, no retry")
                    .contains("keys limit");
            Await.until(
                    "the daemon has seen the recovering client's connection close",
                    () -> usage(root, user(alice)).connections() == 1,
                    Duration.ofSeconds(30));
            assertThat(a.ok("get", "l/4")).isEqualTo("ABSENT");
            assertThat(root.get("l/4")).isEmpty();
            assertThat(usage(root, user(alice))).as("refusals take nothing").isEqualTo(full);
            assertThat(usage(root, group(team))).isEqualTo(full);
            assertThat(a.ok("set", "l/1", "bbbb"))
                    .as("replacing a value adds no key")
                    .startsWith("UPDATED ");

            assertThat(a.ok("del", "l/1")).startsWith("DELETED ");
            assertThat(usage(root, user(alice))).isEqualTo(new Limits(2, 14, 1));
            assertThat(a.ok("set", "l/4", "aaaa")).startsWith("CREATED ");

            // bytes: 10 more than used now
            root.setLimits(user(alice), new Limits(KEEP, 31, KEEP));
            assertThat(root.limits(user(alice)).limits()).isEqualTo(new Limits(3, 31, -1));
            long before = root.get("l/2").orElseThrow().version();
            String grow = a.quota("set", "l/2", "a".repeat(15));
            assertThat(grow).contains("bytes limit", "limit 31", "usage 21", "needs 11");
            assertThat(root.get("l/2").orElseThrow())
                    .as("the refused update left the value")
                    .isEqualTo(new Entry("aaaa".getBytes(), before));
            assertThat(a.ok("set", "l/2", "a".repeat(14))).startsWith("UPDATED ");
            assertThat(usage(root, user(alice))).isEqualTo(new Limits(3, 31, 1));
            assertThat(a.ok("set", "l/2", "a"))
                    .as("shrinking is always allowed")
                    .startsWith("UPDATED ");
            assertThat(usage(root, user(alice))).isEqualTo(new Limits(3, 18, 1));
            root.setLimits(user(alice), new Limits(10, KEEP, KEEP));
            assertThat(a.quota("set", "l/big", "b".repeat(20))).contains("bytes limit", "usage 18", "needs 25");
            assertThat(root.get("l/big")).isEmpty();
            assertThat(a.ok("set", "l/ok", "b".repeat(9))).startsWith("CREATED ");
            assertThat(usage(root, user(alice))).isEqualTo(new Limits(4, 31, 1));
        }
    }

    /**
     * A group limit refuses a member that has no limits of its own; what the user's side had taken is
     * given back, so the user's usage is unchanged by the refusal. Other groups are unaffected.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void groupLimit_refusesAMemberWithoutOwnLimits_andGivesTheUsersUsageBack() {
        DaemonProcess daemon = startDaemon();
        UserActor a = actor("alice", alice, daemon);
        UserActor b = actor("bob", bob, daemon);
        UserActor c = actor("carol", carol, daemon);
        awaitReady(a, b, c);
        try (SharedMap root = rootClient(daemon)) {
            root.setLimits(group(team), new Limits(3, KEEP, KEEP));
            a.ok("set", "g/a1", "x");
            a.ok("set", "g/a2", "x");
            b.ok("set", "g/b1", "x");
            Limits bobBefore = usage(root, user(bob));
            assertThat(bobBefore).isEqualTo(new Limits(1, 5, 1));
            assertThat(root.limits(user(bob)).limits())
                    .as("bob has no limits of his own")
                    .isEqualTo(Limits.NO_LIMITS);

            String refusal = b.quota("set", "g/b2", "x");
            assertThat(refusal).contains("group smtest_team", "keys limit", "limit 3", "usage 3", "needs 1");
            assertThat(usage(root, user(bob)))
                    .as("bob's usage after the group refused him")
                    .isEqualTo(bobBefore);
            assertThat(usage(root, group(team)).keys()).isEqualTo(3);
            assertThat(root.get("g/b2")).isEmpty();
            a.quota("set", "g/a3", "x");
            assertThat(usage(root, user(alice))).isEqualTo(new Limits(2, 10, 1));
            assertThat(c.ok("set", "g/c1", "x")).as("another group").startsWith("CREATED ");

            // a member sees its group's row, not another group's
            assertThat(b.ok("limits", group(team).wire())).isEqualTo("3 -1 -1 3 15 2");
            b.denied("limits", group(other).wire());

            assertThat(b.ok("del", "g/b1")).startsWith("DELETED ");
            assertThat(a.ok("set", "g/a3", "x")).startsWith("CREATED ");
            assertThat(usage(root, group(team))).isEqualTo(new Limits(3, 15, 2));
            assertThat(usage(root, user(bob))).isEqualTo(new Limits(0, 0, 1));

            // bob writing alice's group-writable key is charged to alice, the owner, and limited by her limits
            a.ok("chmod", "g/a1", "660");
            root.setLimits(user(alice), new Limits(KEEP, 15 + 2, KEEP));
            assertThat(b.ok("set", "g/a1", "xyz")).startsWith("UPDATED ");
            assertThat(usage(root, user(alice))).isEqualTo(new Limits(3, 17, 1));
            assertThat(usage(root, user(bob))).isEqualTo(new Limits(0, 0, 1));
            assertThat(b.quota("set", "g/a1", "xyzw"))
                    .as("bob is told his write to alice's key is refused," + " not alice's limit and usage")
                    .contains("g/a1", "belongs to another user", "1 more bytes")
                    .doesNotContain("usage 17", "limit 17");
            assertThat(root.get("g/a1").orElseThrow().valueAsString()).isEqualTo("xyz");
            assertThat(usage(root, group(team))).isEqualTo(new Limits(3, 17, 2));
        }
    }

    /**
     * The default limits apply to users without limits of their own (not to users with their own);
     * root is never limited, neither as the caller nor when it writes another user's key.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void defaultLimits_applyToUsersWithoutOwnLimits_rootIsNeverLimited() {
        DaemonProcess daemon = startDaemon();
        UserActor a = actor("alice", alice, daemon);
        UserActor c = actor("carol", carol, daemon);
        awaitReady(a, c);
        try (SharedMap root = rootClient(daemon)) {
            root.setLimits(Principal.DEFAULT, new Limits(2, 100, 1));
            root.setLimits(user(alice), new Limits(10, KEEP, KEEP));
            c.ok("set", "d/c1", "x");
            c.ok("set", "d/c2", "x");
            assertThat(c.quota("set", "d/c3", "x"))
                    .contains("smtest_carol", "default keys limit", "limit 2", "usage 2");
            assertThat(c.quota("open")).contains("connection refused", "default conns limit", "limit 1", "usage 1");
            assertThat(root.get("d/c3")).isEmpty();
            for (int i = 1; i <= 4; i++) {
                assertThat(a.ok("set", "d/a" + i, "x"))
                        .as("alice has limits of her own")
                        .startsWith("CREATED ");
            }
            assertThat(a.quota("open"))
                    .as("alice has no connections limit of her own: the default's applies")
                    .contains("default conns limit", "limit 1");
            root.setLimits(user(alice), new Limits(KEEP, KEEP, Limits.UNLIMITED));
            assertThat(a.ok("open")).as("unlimited: exempt from the default's").isEqualTo("1");

            // root: over the default's keys, bytes and connections
            List<SharedMap> more = new ArrayList<>();
            try {
                for (int i = 0; i < 3; i++) {
                    more.add(rootClient(daemon));
                }
                for (int i = 0; i < 5; i++) {
                    assertThat(more.get(i % 3).set("d/r" + i, "r".repeat(60)).created())
                            .isTrue();
                }
            } finally {
                more.forEach(SharedMap::close);
            }
            assertThat(usage(root, new Principal(Kind.USER, 0)).keys()).isEqualTo(5);
            // root writing carol's key is not limited either, even past carol's limit
            assertThat(root.set("d/c1", "y".repeat(200)).created()).isFalse();
            assertThat(usage(root, user(carol)).bytes()).isEqualTo(4 + 200 + 4 + 1);
            assertThat(owner(root, "d/c1").uid()).isEqualTo(carol.uid());
            assertThat(c.quota("set", "d/c2", "z".repeat(2)))
                    .as("carol over her bytes may not grow")
                    .contains("default bytes limit", "limit 100");
            assertThat(c.ok("set", "d/c1", "small")).as("but may shrink").startsWith("UPDATED ");
            assertThat(usage(root, user(carol)).bytes()).isEqualTo(4 + 5 + 4 + 1);
        }
    }

    /** conns=2: the third concurrent connection of the user is refused clearly; closing one lets another in. */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void connectionLimit_refusesTheThirdConnection_untilOneCloses() {
        DaemonProcess daemon = startDaemon();
        UserActor a = actor("alice", alice, daemon);
        UserActor b = actor("bob", bob, daemon);
        awaitReady(a, b);
        try (SharedMap root = rootClient(daemon)) {
            root.setLimits(user(alice), new Limits(KEEP, KEEP, 2));
            assertThat(a.ok("open")).isEqualTo("1");
            assertThat(usage(root, user(alice)).connections()).isEqualTo(2);
            String refusal = a.quota("open");
            assertThat(refusal)
                    .contains("connection refused", "smtest_alice", "conns limit", "limit 2", "usage 2", "needs 1");
            assertThat(a.quota("openr"))
                    .as("a recovering client is refused at once too")
                    .contains("conns limit");
            assertThat(usage(root, user(alice)).connections())
                    .as("refused connections are not counted")
                    .isEqualTo(2);
            assertThat(a.ok("set", "c/a", "x"))
                    .as("the connections alice has keep working")
                    .startsWith("CREATED ");
            for (int i = 1; i <= 3; i++) {
                assertThat(b.ok("open")).as("bob has no connection limit").isEqualTo(Integer.toString(i));
            }

            assertThat(a.ok("closeopen")).isEqualTo("1");
            Await.until(
                    "the daemon has seen alice's connection close",
                    () -> usage(root, user(alice)).connections() == 1,
                    Duration.ofSeconds(30));
            assertThat(a.ok("open")).isEqualTo("1");
            a.quota("open");
        }
    }

    /**
     * Ten processes of one user (two threads each) race to create 150 distinct keys against a limit of
     * 50 keys (or bytes for 50 keys): exactly 50 are created in total, usage never passes the limit
     * while they race, and usage equals what is stored.
     */
    @ParameterizedTest
    @ValueSource(strings = {"keys", "bytes"})
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void raceToTheLimit_tenProcesses_exactlyTheLimitIsCreated(String limited) throws Exception {
        int processes = 10;
        int perProcess = 15;
        int limit = 50;
        int valueBytes = 32;
        int keyBytes = "r/0/0000".length();
        int entryBytes = keyBytes + valueBytes;
        Limits limits = limited.equals("keys")
                ? new Limits(limit, KEEP, KEEP)
                : new Limits(KEEP, (long) limit * entryBytes + entryBytes - 1, KEEP);

        DaemonProcess daemon = startDaemon();
        List<UserActor> racers = new ArrayList<>();
        for (int p = 0; p < processes; p++) {
            racers.add(actor("alice-" + p, alice, daemon));
        }
        awaitReady(racers.toArray(UserActor[]::new));
        try (SharedMap root = rootClient(daemon);
                SharedMap watcher = rootClient(daemon)) {
            root.setLimits(user(alice), limits);
            AtomicBoolean done = new AtomicBoolean();
            AtomicLong maxKeys = new AtomicLong();
            AtomicLong maxBytes = new AtomicLong();
            AtomicLong samples = new AtomicLong();
            Thread watch = Thread.ofPlatform().name("usage-watcher").start(() -> {
                while (!done.get()) {
                    Limits u = usage(watcher, user(alice));
                    maxKeys.accumulateAndGet(u.keys(), Math::max);
                    maxBytes.accumulateAndGet(u.bytes(), Math::max);
                    samples.incrementAndGet();
                    LockSupport.parkNanos(200_000); // pacing only: leave the CPUs to the racers
                }
            });
            // every racer starts at the same instant, warmed up, so 20 threads meet at the limit together
            String startAt = Long.toString(System.currentTimeMillis() + RACE_START_DELAY.toMillis());
            int[] ids = new int[processes];
            for (int p = 0; p < processes; p++) {
                ids[p] = racers.get(p)
                        .send(
                                "race",
                                "r/" + p + "/",
                                Integer.toString(perProcess),
                                "2",
                                Integer.toString(valueBytes),
                                startAt);
            }
            int created = 0;
            int refused = 0;
            List<Integer> perRacer = new ArrayList<>();
            Set<String> createdKeys = new HashSet<>();
            try {
                for (int p = 0; p < processes; p++) {
                    UserActor.Reply r = racers.get(p).await(ids[p], RACE_TIMEOUT);
                    assertThat(r.status()).as("racer %d: %s", p, r).isEqualTo("OK");
                    List<String> w = r.words();
                    assertThat(Integer.parseInt(w.get(2)))
                            .as("racer %d: failures other than QUOTA_EXCEEDED", p)
                            .isZero();
                    perRacer.add(Integer.parseInt(w.get(0)));
                    created += Integer.parseInt(w.get(0));
                    refused += Integer.parseInt(w.get(1));
                    if (!w.get(3).equals("-")) {
                        createdKeys.addAll(Arrays.asList(w.get(3).split(",")));
                    }
                }
            } finally {
                done.set(true);
                watch.join(Duration.ofSeconds(30));
            }

            assertThat(created)
                    .as("keys created by all processes together (per process: %s)", perRacer)
                    .isEqualTo(limit);
            assertThat(refused).isEqualTo(processes * perProcess - limit);
            assertThat(createdKeys).hasSize(limit);
            Set<String> stored =
                    root.keys("r/".getBytes()).map(KeyInfo::keyAsString).collect(Collectors.toSet());
            assertThat(stored)
                    .as("stored keys are exactly the ones reported created")
                    .isEqualTo(createdKeys);
            Limits used = usage(root, user(alice));
            assertThat(used.keys()).isEqualTo(limit);
            assertThat(used.bytes()).isEqualTo((long) limit * entryBytes);
            assertThat(usage(root, group(team))).as("the group's usage").isEqualTo(used);
            assertThat(samples.get()).as("usage samples taken during the race").isPositive();
            assertThat(maxKeys.get()).as("highest key usage seen while racing").isLessThanOrEqualTo(limit);
            assertThat(maxBytes.get())
                    .as("highest byte usage seen while racing")
                    .isLessThanOrEqualTo((long) limit * entryBytes);
            assertThat(racers.get(0).quota("set", "r/9/9999", "v".repeat(valueBytes)))
                    .contains(limited + " limit");
        }
    }

    // ---- restart ------------------------------------------------------------------------------

    /**
     * Limits, usage, owners and modes survive a restart (SIGTERM, or kill -9), with part of the state
     * in a snapshot and part in the journal: the same rows, the same refusals, the same permissions.
     * After SIGTERM and kill -9 the daemon continues its mapped store; after kill -9 and the loss of
     * the store (a reboot empties {@code /dev/shm}) it rebuilds it from the snapshot and the journal.
     */
    @ParameterizedTest
    @ValueSource(strings = {"sigterm", "kill9", "kill9-store-lost"})
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void restart_keepsLimitsUsageOwnersAndModes(String how) {
        DaemonProcess daemon = startDaemon(List.of("--snapshot-min-journal-bytes", Integer.toString(1 << 20)));
        UserActor a = actor("alice", alice, daemon);
        UserActor b = actor("bob", bob, daemon);
        awaitReady(a, b);
        List<Principal> principals = List.of(user(alice), user(bob), group(team), Principal.DEFAULT);
        Map<Principal, LimitsRow> before = new TreeMap<>(Comparator.comparing(Principal::wire));
        List<KeyInfo> ownersBefore;
        Path storeDir;
        try (SharedMap root = rootClient(daemon)) {
            storeDir = Path.of(root.stats().get("store_dir"));
            root.setLimits(user(alice), new Limits(4, 500, KEEP));
            root.setLimits(group(team), new Limits(KEEP, 2000, 10));
            root.setLimits(Principal.DEFAULT, new Limits(20, KEEP, KEEP));
            a.ok("set", "r/a1", "secret");
            a.ok("set", "r/a2", "two");
            b.ok("set", "r/b1", "bob");
            // push the journal past 1 MiB so a snapshot holds the keys above
            byte[] filler = new byte[60_000];
            for (int i = 0; i < 20; i++) {
                root.set("filler".getBytes(), filler);
            }
            Await.until(
                    "a snapshot was taken",
                    () -> Long.parseLong(root.stats().get("snapshots")) > 0,
                    Duration.ofSeconds(60));
            // ... and these only in the journal after it
            assertThat(root.chown("r/a2".getBytes(), bob.uid(), -1).changed()).isEqualTo(1);
            a.ok("set", "r/a3", "three");
            a.ok("set", "r/a4", "four");
            a.ok("set", "r/a5", "five");
            a.ok("chmod", "r/a1", "600");
            b.ok("chmod", "r/b1", "660");
            a.quota("set", "r/a6", "six");
            b.denied("get", "r/a1");
            for (Principal p : principals) {
                before.put(p, root.limits(p));
            }
            assertThat(before.get(user(alice)).usage()).isEqualTo(new Limits(4, 10 + 9 + 8 + 8, 1));
            assertThat(before.get(user(bob)).usage()).isEqualTo(new Limits(2, 7 + 7, 1));
            ownersBefore = root.keysWithOwners("r/".getBytes()).toList();
            assertThat(ownersBefore).hasSize(6);
        }

        if (how.equals("sigterm")) {
            daemon.stop();
        } else {
            daemon.kill9();
        }
        if (how.equals("kill9-store-lost")) {
            UnixUsers.deleteTree(storeDir);
        }
        DaemonProcess again = env.startDaemon(daemon.spec());
        assertThat(a.ok("reconnect")).isEqualTo("reconnected");
        assertThat(b.ok("reconnect")).isEqualTo("reconnected");
        try (SharedMap root = rootClient(again)) {
            Map<String, String> stats = root.stats();
            if (how.equals("kill9-store-lost")) {
                assertThat(stats.get("recovery_store_continued")).isEqualTo("false");
                assertThat(Long.parseLong(stats.get("recovery_snapshot")))
                        .as("rebuilt from a snapshot")
                        .isPositive();
            } else {
                assertThat(stats.get("recovery_store_continued"))
                        .as("continued the store: %s", stats.get("recovery_store_rebuilt_because"))
                        .isEqualTo("true");
            }
            for (Principal p : principals) {
                LimitsRow now = root.limits(p);
                assertThat(now.limits())
                        .as("limits of %s after %s", p.wire(), how)
                        .isEqualTo(before.get(p).limits());
                assertThat(now.usage().keys())
                        .as("key usage of %s after %s", p.wire(), how)
                        .isEqualTo(before.get(p).usage().keys());
                assertThat(now.usage().bytes())
                        .as("byte usage of %s after %s", p.wire(), how)
                        .isEqualTo(before.get(p).usage().bytes());
            }
            assertThat(usage(root, user(alice)).connections()).isEqualTo(1);
            assertThat(root.keysWithOwners("r/".getBytes()).toList())
                    .as("keys, versions, owners, modes after %s", how)
                    .isEqualTo(ownersBefore);

            assertThat(a.quota("set", "r/a6", "six")).contains("keys limit", "limit 4", "usage 4");
            b.denied("get", "r/a1");
            b.denied("set", "r/a1", "mine");
            assertThat(a.ok("get", "r/a1")).endsWith(" secret");
            assertThat(b.ok("set", "r/a2", "bob2")).as("r/a2 was given to bob").startsWith("UPDATED ");
            assertThat(a.ok("set", "r/b1", "alice"))
                    .as("r/b1 is group-writable")
                    .startsWith("UPDATED ");
            assertThat(a.ok("del", "r/a3")).startsWith("DELETED ");
            assertThat(a.ok("set", "r/a6", "six")).startsWith("CREATED ");
            assertThat(usage(root, user(alice)).keys()).isEqualTo(4);
        }
    }

    // ---- who may change limits ----------------------------------------------------------------

    /**
     * Users may see their own rows but not change any limit, not even their own; a member of the
     * admin group may see and change every row, and a change applies at once.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void limits_onlyRootAndTheAdminGroupMayChangeThem_usersSeeTheirOwnRows() {
        DaemonProcess daemon = startDaemon();
        UserActor a = actor("alice", alice, daemon);
        UserActor d = actor("dave", dave, daemon);
        awaitReady(a, d);
        String aliceP = user(alice).wire();
        try (SharedMap root = rootClient(daemon)) {
            root.setLimits(user(alice), new Limits(2, KEEP, KEEP));
            assertThat(a.denied("setlimits", aliceP, "100", "-1", "-1")).contains("may not change limits");
            a.denied("unsetlimits", aliceP);
            a.denied("setlimits", "default", "100", "-1", "-1");
            a.denied("setlimits", user(bob).wire(), "100", "-1", "-1");
            a.denied("setlimits", group(team).wire(), "100", "-1", "-1");
            assertThat(root.limits(user(alice)).limits()).isEqualTo(new Limits(2, -1, -1));
            assertThat(root.limits(Principal.DEFAULT).limits()).isEqualTo(Limits.NO_LIMITS);

            assertThat(a.ok("limits", aliceP)).isEqualTo("2 -1 -1 0 0 1");
            assertThat(a.ok("mylimits")).isEqualTo(aliceP + "," + group(team).wire() + ",default,default-group");
            assertThat(a.ok("limits", "default")).isEqualTo("-1 -1 -1 0 0 0");
            a.denied("limits", user(bob).wire());
            a.denied("limits", group(other).wire());

            a.ok("set", "m/1", "x");
            a.ok("set", "m/2", "x");
            a.quota("set", "m/3", "x");
            assertThat(d.ok("setlimits", aliceP, "3", "-1", "-1")).isEqualTo("3 -1 -1 2 8 1");
            assertThat(root.limits(user(alice)).limits()).isEqualTo(new Limits(3, -1, -1));
            assertThat(a.ok("set", "m/3", "x"))
                    .as("raised by the admin, at once")
                    .startsWith("CREATED ");
            a.quota("set", "m/4", "x");
            assertThat(d.ok("limits", user(bob).wire()))
                    .as("the admin group sees every row")
                    .startsWith("-1 -1 -1 ");
            assertThat(d.ok("mylimits").split(","))
                    .contains("default", aliceP, user(dave).wire());
            d.ok("unsetlimits", aliceP);
            assertThat(root.limits(user(alice)).limits()).isEqualTo(Limits.NO_LIMITS);
            assertThat(a.ok("set", "m/4", "x")).startsWith("CREATED ");
        }
    }

    // ---- identity ------------------------------------------------------------------------------

    /**
     * Identity is the kernel's uid, never a name mapped back to an id: a user whose name is alice's
     * uid in digits (useradd allows it) is itself, not alice. Resolving the peer's name back to an id
     * made it alice (and a user named {@code 0}, root).
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aUserNamedWithAnotherUsersUid_isItselfNotThatUser() {
        String name = Long.toString(alice.uid());
        User impostor = UnixUsers.createNumericUser(name, OTHER);
        try {
            assertThat(impostor.uid()).isNotEqualTo(alice.uid());
            DaemonProcess daemon = startDaemon();
            // (alice herself is not launched here: setpriv --reuid, like the old daemon, takes the digits
            // for the user of that name while it exists)
            UserActor i = actor("impostor", impostor, daemon);
            awaitReady(i);
            try (SharedMap root = rootClient(daemon)) {
                root.set("id/secret", "alice's");
                root.chown("id/secret".getBytes(), alice.uid(), alice.gid());
                root.chmod("id/secret".getBytes(), 0600);
                assertThat(i.denied("get", "id/secret")).contains("id/secret");
                i.denied("chmod", "id/secret", "666");
                assertThat(i.ok("set", "id/mine", "x")).startsWith("CREATED ");
                assertThat(owner(root, "id/mine").uid())
                        .as("owned by the impostor's uid")
                        .isEqualTo(impostor.uid());
                assertThat(i.ok("mylimits").split(","))
                        .contains(user(impostor).wire())
                        .doesNotContain(user(alice).wire());
            }
        } finally {
            assertThat(UnixUsers.removeNumericUser(name))
                    .as("removing the numeric user")
                    .isNull();
        }
    }

    /**
     * Sessions are per user: bob presenting alice's client id and sequence number gets his own change
     * applied, not alice's remembered outcome (sessions were keyed by the client id alone).
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void sessions_arePerUser_aSharedClientIdReachesNoOtherUsersSession() {
        DaemonProcess daemon = startDaemon();
        UserActor a = actor("alice", alice, daemon);
        UserActor b = actor("bob", bob, daemon);
        awaitReady(a, b);
        try (SharedMap root = rootClient(daemon)) {
            assertThat(a.ok("seqset", "4242", "1", "sess/a", "alice's")).startsWith("CREATED ");
            assertThat(a.ok("seqset", "4242", "1", "sess/a", "alice's"))
                    .as("alice's own resend: remembered")
                    .isEqualTo("CREATED " + root.get("sess/a").orElseThrow().version());
            assertThat(b.ok("seqset", "4242", "1", "sess/b", "bob's"))
                    .as("bob's change is applied")
                    .isEqualTo("CREATED " + root.get("sess/b").orElseThrow().version());
            assertThat(root.get("sess/b").orElseThrow().valueAsString()).isEqualTo("bob's");
        }
    }

    // ---- the socket ---------------------------------------------------------------------------

    /** The socket file's group and mode decide who may connect at all. */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void socketGroupAndMode_decideWhoMayConnect() throws IOException {
        DaemonProcess daemon = startDaemon(List.of(), List.of("--socket-mode", "0660", "--socket-group", TEAM));
        PosixFileAttributes attrs = Files.readAttributes(daemon.socket(), PosixFileAttributes.class);
        assertThat(PosixFilePermissions.toString(attrs.permissions())).isEqualTo("rw-rw----");
        assertThat(attrs.group().getName()).isEqualTo(TEAM);
        UserActor a = actor("alice", alice, daemon);
        UserActor c = actor("carol", carol, daemon);
        a.awaitReady();
        assertThat(a.ok("set", "k", "v")).startsWith("CREATED ");
        assertThat(c.awaitConnectFailure())
                .as("carol is not in the socket's group: told so, not 'no daemon'")
                .contains("PermissionDeniedException", "may not connect", "rw-rw----", "group " + TEAM);
        try (SharedMap root = rootClient(daemon)) {
            assertThat(root.get("k")).isPresent();
            assertThat(usage(root, user(carol)))
                    .as("carol never got a connection")
                    .isEqualTo(Limits.ZERO);
        }
    }

    /**
     * Direct reads: the store's public side may be opened by whoever may connect, and holds only keys
     * that all of them may read; everything else is in the private side (the daemon's alone) and
     * answered by the socket, where each request is checked. So a user never reads directly a value
     * the socket would refuse them.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void directReads_publicSideHoldsOnlyWhatEveryoneWhoMayOpenItMayRead() throws IOException {
        DaemonProcess open = startDaemon(); // socket 0666: every user may connect, so the public side is 0644
        UserActor a = actor("alice", alice, open);
        UserActor c = actor("carol", carol, open);
        awaitReady(a, c);
        try (SharedMap root = rootClient(open)) {
            Path pub = Path.of(root.stats().get("store_direct_reads"));
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(pub.resolve("root"))))
                    .isEqualTo("rw-r--r--");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(pub)))
                    .as("readers may reach the public files, not list them")
                    .isEqualTo("rwx--x--x");
            Path priv = pub.resolveSibling("private");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(priv)))
                    .isEqualTo("rwx------");
            a.ok("set", "d/pub", "p");
            a.ok("set", "d/team", "t");
            a.ok("chmod", "d/team", "640");
            assertThat(c.ok("get", "d/pub")).endsWith(" p");
            assertThat(c.ok("reads")).as("carol read rw-r--r-- directly").isEqualTo("1 0 true");
            assertThat(c.denied("get", "d/team")).contains("d/team", "rw-r-----");
            assertThat(c.ok("reads"))
                    .as("rw-r----- is not on an 0644 public side: the socket refused it")
                    .isEqualTo("1 1 true");
            assertThat(a.ok("get", "d/team")).endsWith(" t");
            assertThat(a.ok("reads"))
                    .as("even its owner reads it through the socket")
                    .isEqualTo("0 1 true");
        }
        open.stop();

        // Socket 0660 group team: only team may connect, the public side is 0640 group team, and keys
        // of group team that the group may read are published too.
        DaemonProcess teamOnly = startDaemon(List.of(), List.of("--socket-mode", "0660", "--socket-group", TEAM));
        UserActor a2 = actor("alice", alice, teamOnly);
        UserActor b2 = actor("bob", bob, teamOnly);
        awaitReady(a2, b2);
        try (SharedMap root = rootClient(teamOnly)) {
            Path pub = Path.of(root.stats().get("store_direct_reads"));
            PosixFileAttributes attrs = Files.readAttributes(pub.resolve("root"), PosixFileAttributes.class);
            assertThat(PosixFilePermissions.toString(attrs.permissions())).isEqualTo("rw-r-----");
            assertThat(attrs.group().getName()).isEqualTo(TEAM);
            a2.ok("set", "d/team", "t"); // alice's primary group is team
            a2.ok("chmod", "d/team", "640");
            a2.ok("set", "d/mine", "m");
            a2.ok("chmod", "d/mine", "600");
            assertThat(b2.ok("get", "d/team")).endsWith(" t");
            assertThat(b2.ok("reads"))
                    .as("bob (team) read the team's rw-r----- key directly")
                    .isEqualTo("1 0 true");
            b2.denied("get", "d/mine");
            assertThat(b2.ok("reads")).as("rw------- stays off the public side").isEqualTo("1 1 true");
        }
    }

    // ---- the RESP socket ------------------------------------------------------------------------

    /**
     * The RESP socket identifies callers by SO_PEERCRED as the binary one does, so each user's
     * redis-cli can do exactly what that user's binary connection can: the key's owner and mode
     * decide, AUTH changes nothing, and limits hold.
     */
    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void resp_sameIdentityModesAndLimits_asTheBinarySocket() {
        DaemonProcess daemon = startDaemon();
        Path resp = daemon.socket().resolveSibling(daemon.socket().getFileName() + ".resp");
        try (SharedMap root = rootClient(daemon)) {
            assertThat(cli(alice, resp, "SET", "r/doc", "v1")).isEqualTo("OK\n");
            assertThat(owner(root, "r/doc"))
                    .as("created by alice's RESP connection: alice's key, umask 022")
                    .isEqualTo(new KeyOwner(alice.uid(), team, 0644));
            assertThat(cli(bob, resp, "GET", "r/doc")).isEqualTo("v1\n");
            assertThat(cli(bob, resp, "SET", "r/doc", "bob"))
                    .startsWith("NOPERM ")
                    .contains("r/doc");
            assertThat(cli(bob, resp, "APPEND", "r/doc", "bob")).startsWith("NOPERM ");
            // a transaction on two keys, one of which bob may not write: refused whole, his own write undone
            List<String> tx = cliStdin(bob, resp, "MULTI\nSET r/bob1 mine\nSET r/doc bob\nEXEC\n")
                    .lines()
                    .toList();
            assertThat(tx)
                    .as("redis-cli prints an error reply and a blank line")
                    .hasSize(5);
            assertThat(tx.subList(0, 3)).containsExactly("OK", "QUEUED", "QUEUED");
            assertThat(tx.get(3)).startsWith("NOPERM ").contains("r/doc");
            assertThat(root.get("r/bob1")).as("undone").isEmpty();
            assertThat(cli(bob, resp, "RENAME", "r/doc", "r/mine")).startsWith("NOPERM ");
            assertThat(root.get("r/mine")).as("undone").isEmpty();
            assertThat(root.get("r/doc").orElseThrow().valueAsString()).isEqualTo("v1");
            assertThat(cli(carol, resp, "DEL", "r/doc")).startsWith("NOPERM ");
            assertThat(cli(carol, resp, "GETDEL", "r/doc")).startsWith("NOPERM ");

            root.chmod("r/doc".getBytes(), 0600);
            assertThat(cli(bob, resp, "GET", "r/doc")).startsWith("NOPERM ").contains("rw-------");
            assertThat(cli(carol, resp, "MGET", "r/doc")).startsWith("NOPERM ");
            assertThat(cli(bob, resp, "KEYS", "r/*"))
                    .as("an unreadable key is not listed (redis-cli prints an empty list as a blank line)")
                    .isEqualTo("\n");
            assertThat(cli(bob, resp, "SCAN", "0", "MATCH", "r/*")).isEqualTo("0\n\n");
            assertThat(cli(alice, resp, "KEYS", "r/*")).isEqualTo("r/doc\n");
            assertThat(cli(alice, resp, "GET", "r/doc")).isEqualTo("v1\n");

            // AUTH is accepted and changes nothing: the kernel's identity stays
            List<String> asRoot = new ArrayList<>(List.of("--user", "root", "--pass", "secret", "--no-auth-warning"));
            assertThat(cli(bob, resp, asRoot, "GET", "r/doc")).startsWith("NOPERM ");
            assertThat(cli(bob, resp, "CLIENT", "INFO")).contains(" uid=" + bob.uid() + " ");

            // limits: carol may own one key, through either protocol
            root.setLimits(user(carol), new Limits(1, KEEP, KEEP));
            assertThat(cli(carol, resp, "SET", "r/c1", "x")).isEqualTo("OK\n");
            assertThat(cli(carol, resp, "SET", "r/c2", "x")).startsWith("ERR quota exceeded: ");
            assertThat(root.get("r/c2")).isEmpty();
            assertThat(root.get("r/doc").orElseThrow().valueAsString())
                    .as("nothing refused changed it")
                    .isEqualTo("v1");
        }
    }

    private String cli(User user, Path resp, String... args) {
        return cli(user, resp, List.of(), args);
    }

    /** redis-cli run as {@code user} with commands on stdin, one a line, on one connection: its output. */
    private String cliStdin(User user, Path resp, String commands) {
        List<String> command =
                new ArrayList<>(List.of(Tool.require("redis-cli", "redis-tools"), "-s", resp.toString()));
        Tool.Run run = Tool.run(
                UnixUsers.runAs(user, command),
                commands.getBytes(StandardCharsets.UTF_8),
                env.scratch(),
                Duration.ofSeconds(60));
        assertThat(run.exit()).as(run.toString()).isZero();
        return run.out();
    }

    /** redis-cli run as {@code user} (setpriv): its output. */
    private String cli(User user, Path resp, List<String> options, String... args) {
        List<String> command =
                new ArrayList<>(List.of(Tool.require("redis-cli", "redis-tools"), "-s", resp.toString()));
        command.addAll(options);
        command.addAll(List.of(args));
        Tool.Run run = Tool.run(UnixUsers.runAs(user, command), new byte[0], env.scratch(), Duration.ofSeconds(60));
        assertThat(run.exit()).as(run.toString()).isZero();
        return run.out();
    }

    // ---- helpers ------------------------------------------------------------------------------

    /**
     * A watcher never sees a key it may not read, by name or by value: bob (group team) and carol
     * (other) watch the same prefix while alice writes keys readable by her group only, opens one to
     * everyone, and deletes another.
     */
    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void watchers_seeOnlyKeysTheyMayRead() {
        DaemonProcess daemon = startDaemon(List.of("--key-umask", "027")); // new keys rw-r-----
        UserActor a = actor("alice", alice, daemon);
        ChildProcess bobWatch = watcher("bob-watch", bob, daemon);
        ChildProcess carolWatch = watcher("carol-watch", carol, daemon);
        awaitReady(a);
        bobWatch.awaitCount("READY", 1, RACE_TIMEOUT);
        carolWatch.awaitCount("READY", 1, RACE_TIMEOUT);
        a.ok("set", "w/team", "team-secret");
        a.ok("set", "w/open", "first");
        a.ok("chmod", "w/open", "644");
        a.ok("set", "w/open", "second");
        a.ok("del", "w/team");
        a.ok("set", "w/end", "x");
        a.ok("chmod", "w/end", "644");
        bobWatch.awaitLine(l -> l.endsWith(" OWNER w/end"), RACE_TIMEOUT);
        carolWatch.awaitLine(l -> l.endsWith(" OWNER w/end"), RACE_TIMEOUT);
        assertThat(kinds(bobWatch))
                .containsExactly(
                        "SET w/team team-secret",
                        "SET w/open first",
                        "OWNER w/open",
                        "SET w/open second",
                        "DELETE w/team",
                        "SET w/end x",
                        "OWNER w/end");
        assertThat(kinds(carolWatch))
                .as("carol may read w/open only once it is 644, and never w/team")
                .containsExactly("OWNER w/open", "SET w/open second", "OWNER w/end");
        assertThat(String.join("\n", carolWatch.lines())).doesNotContain("team-secret", "w/team", "first");
        bobWatch.closeStdin();
        carolWatch.closeStdin();
        bobWatch.awaitExit(RACE_TIMEOUT, 0);
        carolWatch.awaitExit(RACE_TIMEOUT, 0);
    }

    private ChildProcess watcher(String name, User user, DaemonProcess daemon) {
        List<String> java = new ArrayList<>(List.of(JavaCommand.javaBinary()));
        java.addAll(SystemTestEnv.CLIENT_JVM_ARGS);
        java.addAll(List.of(
                "-XX:-UsePerfData",
                "-cp",
                publicClassPath,
                WatcherMain.class.getName(),
                "--socket",
                daemon.socket().toString(),
                "--prefix",
                "w/",
                "--values",
                "yes"));
        return env.startCommand(name, UnixUsers.runAs(user, java));
    }

    /** A watcher's change lines without their versions. */
    private static List<String> kinds(ChildProcess watcher) {
        return watcher.lines().stream()
                .filter(l -> l.startsWith("E "))
                .map(l -> l.substring(l.indexOf(' ', 2) + 1))
                .toList();
    }

    private DaemonProcess startDaemon() {
        return startDaemon(List.of());
    }

    private DaemonProcess startDaemon(List<String> extraArgs) {
        return startDaemon(extraArgs, List.of("--socket-mode", "0666"));
    }

    /** A daemon as root whose socket other users can reach, with dave's group as the admin group. */
    private DaemonProcess startDaemon(List<String> extraArgs, List<String> socketArgs) {
        try {
            Files.setPosixFilePermissions(env.scratch(), PosixFilePermissions.fromString("rwx--x--x"));
            Path sockets = env.newDir("sock");
            Files.setPosixFilePermissions(sockets, PosixFilePermissions.fromString("rwxr-xr-x"));
            List<String> args = new ArrayList<>(socketArgs);
            args.addAll(List.of("--admin-group", ADMINS));
            args.addAll(extraArgs);
            return env.startDaemon(
                    env.daemonSpec().withSocket(sockets.resolve("s.sock")).withServerArgs(args.toArray(String[]::new)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private UserActor actor(String name, User user, DaemonProcess daemon) {
        return UserActor.launch(env, name, user, publicClassPath, daemon.socket());
    }

    private static void awaitReady(UserActor... actors) {
        for (UserActor x : actors) {
            x.awaitReady();
        }
    }

    private static SharedMap rootClient(DaemonProcess daemon) {
        return SharedMap.connect(daemon.socket(), Options.defaults().recovering(false));
    }

    private static Principal user(User u) {
        return new Principal(Kind.USER, u.uid());
    }

    private static Principal group(long gid) {
        return new Principal(Kind.GROUP, gid);
    }

    private static Limits usage(SharedMap root, Principal p) {
        return root.limits(p).usage();
    }

    private static KeyOwner owner(SharedMap root, String key) {
        return root.keysWithOwners(key.getBytes())
                .filter(k -> k.keyAsString().equals(key))
                .findFirst()
                .orElseThrow()
                .owner();
    }

    private static int mode(SharedMap root, String key) {
        return owner(root, key).mode();
    }

    private static List<String> keys(UserActor actor, String prefix) {
        String listed = prefix.isEmpty() ? actor.ok("keys") : actor.ok("keys", prefix);
        return listed.equals("-") ? List.of() : List.of(listed.split(","));
    }
}
