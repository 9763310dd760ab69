package io.sharedmap.server.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.sharedmap.os.accounts.UnixAccounts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How the daemon turns names and the JDK's principals into ids. */
class IdentityTest {
    @TempDir
    Path dir;

    /** An account may be named with digits: its name is its name, not the id those digits spell. */
    @Test
    void numericNames_areLookedUpAsNamesFirst_thenTakenAsIds() throws IOException {
        Path passwd = dir.resolve("passwd");
        Path group = dir.resolve("group");
        Files.writeString(passwd, """
        root:x:0:0:root:/root:/bin/sh
        alice:x:1001:100::/home/alice:/bin/sh
        0:x:1005:1005::/nonexistent:/usr/sbin/nologin
        1001:x:1006:1006::/nonexistent:/usr/sbin/nologin
        """);
        Files.writeString(group, """
        root:x:0:
        users:x:100:alice
        1005:x:1005:
        """);
        UnixAccounts names = UnixAccounts.of(passwd, group);
        assertThat(names.uid("0")).as("the account named 0 is not root").hasValue(1005);
        assertThat(names.uid("1001")).as("the account named 1001 is not alice").hasValue(1006);
        assertThat(names.uid("alice")).hasValue(1001);
        assertThat(names.uid("4242"))
                .as("digits no account is named: the id itself")
                .hasValue(4242);
        assertThat(names.gid("1005")).hasValue(1005);
        assertThat(names.uid("nobody-here")).isEqualTo(OptionalLong.empty());
    }

    /**
     * The peer credentials' principals carry the kernel's numbers: proven on this JDK (if it were not,
     * the daemon would fall back to names and warn), and checked here on a file whose owner has no
     * account, so its principal's name is digits that must not be what is read.
     */
    @Test
    void principals_giveTheKernelsIds() throws IOException {
        assertThat(PeerIds.hashIsId())
                .as("this JDK's principals carry their ids")
                .isTrue();
        Path f = Files.createFile(dir.resolve("f"));
        long uid = ((Number) Files.getAttribute(f, "unix:uid")).longValue();
        if (uid == 0) {
            Files.setAttribute(f, "unix:uid", 3_000_001);
            Files.setAttribute(f, "unix:gid", 3_000_002);
        }
        PosixFileAttributes a = Files.readAttributes(f, PosixFileAttributes.class);
        UnixAccounts names = UnixAccounts.system();
        assertThat(PeerIds.uid(a.owner(), names)).hasValue(((Number) Files.getAttribute(f, "unix:uid")).longValue());
        assertThat(PeerIds.gid(a.group(), names)).hasValue(((Number) Files.getAttribute(f, "unix:gid")).longValue());
    }
}
