package io.sharedmap.server.store;

import static io.sharedmap.os.store.StoreDescriptor.*;
import static io.sharedmap.server.store.StoreLayout.INTENT_MOVE;
import static io.sharedmap.server.store.StoreLayout.PRIVATE_BIT;

import io.sharedmap.server.security.Owner;
import io.sharedmap.server.store.StoreFiles.Access;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * The mapped store: every key, value, version and owner of the daemon, in files that clients map
 * ({@link io.sharedmap.os.store.StoreDescriptor}) and that only the daemon writes. Holds no Java
 * object per key: a key lives in one entry of one side's chunks, found through that side's hash
 * index and, in key order, through the {@link OrderedIndex}.
 *
 * <p>Contract (for the engine):
 *
 * <ul>
 *   <li>{@link #apply} takes changes in version order, each durable as the mode promises, and
 *       returns once every one is visible to every reader of the store, in this process and in
 *       clients. Changes from one {@code apply} become visible one by one, in order.
 *   <li>{@link #get} never blocks and returns the key's state as of some moment during the call.
 *   <li>{@link #scan} walks keys in ascending unsigned order, seeing the store as of one moment for
 *       each call (it holds the read lock).
 *   <li>Permissions: a key goes to the public side exactly when {@code isPublic} holds for its
 *       owner, and is withdrawn from it (its bytes zeroed) before {@code apply} returns a change
 *       that makes it private.
 * </ul>
 *
 * <p>Concurrency and lock order: the write lock ({@link #lock}) is held by the one writer (the
 * journal's leader applying a batch, the compactor for one step, close); the read lock by SCAN and
 * the snapshot walk, one page at a time. {@link #get} takes no lock: it reads under {@link Grace},
 * and a mapping is unmapped only after a grace period (by the reclaimer thread). The write lock is
 * taken under the journal's leadership (leadership, then store lock), never the reverse, and
 * never under an engine stripe lock; no I/O but the store's own memory-file-system files happens
 * under it. The daemon's whole lock hierarchy: docs/ARCHITECTURE.md, "Lock order".
 *
 * <p>Crash safety: a process killed at any instruction leaves every structure consistent but for
 * the change in flight, which the journal replays (every change from the checkpoint on is applied
 * again, and applying is idempotent: {@code repair} mode also re-links the ordered index) or the
 * intent completes (a move, which no journal record carries). See {@link Side}, {@link
 * OrderedIndex}, {@link Meta}.
 */
public final class MappedStore implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(MappedStore.class.getName());

    /**
     * Where the store lives and who may read its public side: the public files' permission bits (an
     * octal mode such as 0644) and group (-1: the daemon's), and which owners' keys go there.
     */
    public record Settings(Path dir, int publicFileMode, long publicGid, Predicate<Owner> isPublic) {}

    /** A change for {@link #apply}. */
    public interface Change {
        int PUT = 1;
        int DELETE = 2;
        int OWNER = 3;
        /** A new deadline ({@link #deadline}, 0: none) for the key's value; its value and version stay. */
        int DEADLINE = 4;
        /** A record that changes nothing in the store (a remembered outcome). */
        int NONE = 0;

        int changeKind();

        byte[] key();

        byte[] value();

        long version();

        @Nullable
        Owner owner();

        /** The key's deadline after a PUT or DEADLINE change, epoch milliseconds; 0: none. */
        default long deadline() {
            return 0;
        }
    }

    /** A key's state: version, owner, value length, and the value when asked for. */
    public record Stored(long version, Owner owner, int valueLength, byte @Nullable [] value, long deadline) {}

    /** The store's position in the journal: every change up to {@code version} is applied. */
    public record Checkpoint(long version, long segment, long recordStart, long recordEnd) {}

    final Path dir;
    private final Settings settings;
    private final Meta meta;
    final Side pub;
    final Side priv;
    private final OwnerTable owners;
    private final OrderedIndex tree;
    private final Grace grace = new Grace();
    /** The writer's lock (write) and SCAN's (read); see the class comment. */
    final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    /** Odd while a key moves between sides: a reader that found it in neither must look again. */
    private final AtomicLong moving = new AtomicLong();

    private final ExecutorService reclaimer = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "sharedmap-store-reclaimer");
        t.setDaemon(true);
        return t;
    });
    // Writer only:
    private long[] usageKeys = new long[64];
    private long[] usageBytes = new long[64];
    private long rebuilds;
    private long compactedBytes;
    private volatile boolean closed;
    private boolean forceCompaction; // tests only, under the write lock
    private final CrashPoints points;

    private MappedStore(
            Path dir,
            Settings settings,
            Meta meta,
            Side pub,
            Side priv,
            OwnerTable owners,
            OrderedIndex tree,
            CrashPoints points) {
        this.points = points;
        this.dir = dir;
        this.settings = settings;
        this.meta = meta;
        this.pub = pub;
        this.priv = priv;
        this.owners = owners;
        this.tree = tree;
    }

    private static Access publicAccess(Settings s) {
        return new Access(posix(s.publicFileMode()), s.publicGid());
    }

    /** The permission set of an octal mode such as 0640 (the low nine bits). */
    public static Set<PosixFilePermission> posix(int mode) {
        Set<PosixFilePermission> set = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] bits = {
            PosixFilePermission.OWNER_READ,
            PosixFilePermission.OWNER_WRITE,
            PosixFilePermission.OWNER_EXECUTE,
            PosixFilePermission.GROUP_READ,
            PosixFilePermission.GROUP_WRITE,
            PosixFilePermission.GROUP_EXECUTE,
            PosixFilePermission.OTHERS_READ,
            PosixFilePermission.OTHERS_WRITE,
            PosixFilePermission.OTHERS_EXECUTE
        };
        for (int i = 0; i < 9; i++) {
            if ((mode & (0400 >> i)) != 0) {
                set.add(bits[i]);
            }
        }
        return set;
    }

    /**
     * Creates an empty store in {@code settings.dir()}, first retiring (so that its readers leave it)
     * and deleting whatever store was there.
     */
    public static MappedStore create(Settings settings, long dataDirId) throws IOException {
        return create(settings, dataDirId, CrashPoints.NONE, Side.Chunking.DEFAULT);
    }

    static MappedStore create(Settings settings, long dataDirId, CrashPoints points, Side.Chunking chunking)
            throws IOException {
        Path dir = settings.dir();
        discard(dir);
        Access pa = publicAccess(settings);
        Path pubDir = dir.resolve(PUBLIC_DIR);
        Path privDir = dir.resolve(PRIVATE_DIR);
        makeDirectory(dir, pa);
        makeDirectory(pubDir, pa);
        makeDirectory(privDir, Access.PRIVATE);
        long pubGen = ThreadLocalRandom.current().nextLong() | 1;
        long privGen = ThreadLocalRandom.current().nextLong() | 1;
        Meta meta = Meta.create(privDir.resolve(StoreLayout.META_FILE), pubGen, privGen, dataDirId, bootId());
        Side pub = null;
        Side priv = null;
        OwnerTable owners = null;
        try {
            meta.setPublicAccess(accessCode(settings));
            priv = Side.create(true, privDir, Access.PRIVATE, privGen, meta, chunking);
            pub = Side.create(false, pubDir, pa, pubGen, meta, chunking);
            owners = OwnerTable.create(privDir.resolve(StoreLayout.OWNERS_FILE));
            OrderedIndex tree = OrderedIndex.create(privDir.resolve(StoreLayout.TREE_FILE), keysOf(pub, priv), points);
            return new MappedStore(dir, settings, meta, pub, priv, owners, tree, points);
        } catch (IOException | RuntimeException e) {
            closeQuietly(pub, priv, owners, meta);
            throw e;
        }
    }

    private static OrderedIndex.Keys keysOf(Side pub, Side priv) {
        return new OrderedIndex.Keys() {
            @Override
            public int compare(long treeRef, byte[] key) {
                return ((treeRef & PRIVATE_BIT) != 0 ? priv : pub).compareKey(treeRef & REF_MASK, key);
            }

            @Override
            public byte[] key(long treeRef) {
                return ((treeRef & PRIVATE_BIT) != 0 ? priv : pub).key(treeRef & REF_MASK);
            }
        };
    }

    /**
     * Who may open the public side, as one number: file mode, group, and which owners go there
     * (the policy depends on the daemon's user). A store opened with another is rebuilt, so that no
     * key stays where its new audience may not read it.
     */
    private static long accessCode(Settings s) {
        return (long) (s.publicFileMode() & 0777) << 40
                ^ (s.publicGid() & 0xFF_FFFF_FFFFL)
                ^ (long) s.isPublic().hashCode() << 52;
    }

    /** Why an existing store cannot be trusted, or null if it can. */
    public record Found(
            @Nullable MappedStore store,
            @Nullable String distrust,
            boolean clean,
            @Nullable Checkpoint checkpoint) {}

    /**
     * Opens the store in {@code settings.dir()} if there is one that this daemon may continue: made
     * for this data directory, on this boot of the machine (its files lived in memory the whole time,
     * or at least in the page cache, which a process crash does not lose), and whole. Returns {@code
     * Found(null, why, ...)} when there is none or it cannot be trusted; the caller then rebuilds from
     * the journal with {@link #create}. The caller must still check the checkpoint against the
     * journal, then {@link #replay} what follows it and call {@link #recovered}.
     */
    public static Found open(Settings settings, long dataDirId) {
        return open(settings, dataDirId, CrashPoints.NONE, Side.Chunking.DEFAULT);
    }

    static Found open(Settings settings, long dataDirId, CrashPoints points, Side.Chunking chunking) {
        Path dir = settings.dir();
        Path privDir = dir.resolve(PRIVATE_DIR);
        Path metaFile = privDir.resolve(StoreLayout.META_FILE);
        if (!Files.exists(metaFile)) {
            return new Found(null, "no store at " + dir, false, null);
        }
        Meta meta = null;
        Side pub = null;
        Side priv = null;
        OwnerTable owners = null;
        try {
            meta = Meta.open(metaFile);
            if (meta.dataDirId() != dataDirId) {
                throw new StoreCorruptException("the store at " + dir + " belongs to another data directory");
            }
            if (!meta.bootIdIs(bootId())) {
                throw new StoreCorruptException("the store at " + dir + " was written before the machine last booted"
                        + " (its files may have been lost or half written)");
            }
            boolean clean = meta.closedCleanly();
            priv = Side.open(true, privDir, Access.PRIVATE, meta.privateGeneration(), meta, chunking, clean);
            pub = Side.open(
                    false,
                    dir.resolve(PUBLIC_DIR),
                    publicAccess(settings),
                    meta.publicGeneration(),
                    meta,
                    chunking,
                    clean);
            owners = OwnerTable.open(privDir.resolve(StoreLayout.OWNERS_FILE));
            if (meta.publicAccess() != accessCode(settings)) {
                throw new StoreCorruptException(
                        "the store at " + dir + " was made for another audience of its public side"
                                + " (socket mode, group or daemon user changed)");
            }
            OrderedIndex tree = OrderedIndex.open(privDir.resolve(StoreLayout.TREE_FILE), keysOf(pub, priv), points);
            MappedStore s = new MappedStore(dir, settings, meta, pub, priv, owners, tree, points);
            Meta.Checkpoint c = meta.checkpoint();
            meta.markOpen(); // from here on, a crash leaves it unclean
            if (clean && !s.readUsage()) {
                clean = false;
            }
            return new Found(s, null, clean, new Checkpoint(c.version(), c.segment(), c.recordStart(), c.recordEnd()));
        } catch (IOException | RuntimeException e) {
            closeQuietly(pub, priv, owners, meta);
            return new Found(null, e.getMessage() != null ? e.getMessage() : e.toString(), false, null);
        }
    }

    private static void closeQuietly(@Nullable AutoCloseable... all) {
        for (AutoCloseable c : all) {
            if (c != null) {
                try {
                    c.close();
                } catch (Exception ignored) {
                    // already failing; the first error is the one reported
                }
            }
        }
    }

    /**
     * Makes directory {@code d} (and its missing parents) reachable by exactly the readers {@code
     * access} lets open the files in it: search permission where they may read, and the same group
     * (a group-readable side in a directory of the daemon's group would be out of its readers' reach).
     */
    private static void makeDirectory(Path d, Access access) throws IOException {
        Set<PosixFilePermission> mode = access.dirMode();
        if (!Files.isDirectory(d)) {
            Files.createDirectories(d, PosixFilePermissions.asFileAttribute(mode));
        }
        if (access.gid() >= 0) {
            Files.setAttribute(d, "unix:gid", (int) access.gid());
        }
        Files.setPosixFilePermissions(d, mode);
    }

    /**
     * Retires the public side at {@code dir} if there is one (its readers go back to their daemon)
     * and deletes the store's files. Readers that still map them keep their pages until they let go.
     */
    public static void discard(Path dir) throws IOException {
        Path root = dir.resolve(PUBLIC_DIR).resolve(ROOT_FILE);
        retire(root);
        for (String sub : List.of(PUBLIC_DIR, PRIVATE_DIR)) {
            Path d = dir.resolve(sub);
            if (!Files.isDirectory(d)) {
                continue;
            }
            try (DirectoryStream<Path> files = Files.newDirectoryStream(d)) {
                for (Path p : files) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    /** Marks the store root at {@code root}, if it is one, RETIRED. Returns whether it was. */
    public static boolean retire(Path root) throws IOException {
        if (!Files.isRegularFile(root)) {
            return false;
        }
        try (Arena a = Arena.ofConfined();
                FileChannel c = FileChannel.open(root, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            if (c.size() < ROOT_HEADER_LENGTH) {
                return false;
            }
            MemorySegment h = c.map(FileChannel.MapMode.READ_WRITE, 0, ROOT_HEADER_LENGTH, a);
            if (h.get(LONG, 0) != ROOT_MAGIC) {
                return false;
            }
            WORD.setRelease(h, (long) ROOT_STATE_OFFSET, STATE_RETIRED);
            return true;
        }
    }

    /** This machine's boot id, or a random one if it cannot be read (so that nothing is trusted). */
    static long[] bootId() {
        try {
            UUID u = UUID.fromString(
                    Files.readString(Path.of("/proc/sys/kernel/random/boot_id")).trim());
            return new long[] {u.getMostSignificantBits(), u.getLeastSignificantBits()};
        } catch (IOException | IllegalArgumentException e) {
            return new long[] {
                ThreadLocalRandom.current().nextLong(),
                ThreadLocalRandom.current().nextLong()
            };
        }
    }

    // ---- identity ----

    /** The public side's directory, which clients map. */
    public Path publicDir() {
        return pub.dir;
    }

    /** The directory only the daemon reads, for its own files (session checkpoints). */
    public Path privateDir() {
        return priv.dir;
    }

    /** The public side's generation, announced to clients. */
    public long generation() {
        return pub.generation;
    }

    private Side side(long treeRef) {
        return (treeRef & PRIVATE_BIT) != 0 ? priv : pub;
    }

    private static long treeRef(Side s, long ref) {
        return s.isPrivate ? ref | PRIVATE_BIT : ref;
    }

    private Side sideFor(Owner o) {
        return settings.isPublic().test(o) ? pub : priv;
    }

    // ---- reads ----

    /**
     * The key's version, owner and value length (and value, if {@code withValue}), or null if the
     * store does not hold it. Never blocks; linearizable with {@link #apply}.
     */
    public @Nullable Stored get(byte[] key, boolean withValue) {
        long h = hash(key);
        int token = grace.enter();
        try {
            while (true) {
                long m = moving.get();
                Side.Read r = pub.read(key, h, withValue);
                if (r == null) {
                    r = priv.read(key, h, withValue);
                }
                if (r != null) {
                    return new Stored(
                            r.version(),
                            owners.owner(r.ownerWord() & OWNER_INDEX_MASK),
                            r.valueLength(),
                            r.value(),
                            r.deadline());
                }
                if ((m & 1) == 0 && moving.get() == m) {
                    return null;
                }
                Thread.onSpinWait(); // a key was moving between the sides: look again
            }
        } finally {
            grace.exit(token);
        }
    }

    /** One key as a walk sees it, valid only inside the callback. */
    public interface EntryView {
        byte[] key();

        byte[] value();

        long version();

        Owner owner();

        int valueLength();

        /** The key's deadline, epoch milliseconds; 0: none. */
        long deadline();
    }

    /** Receives keys in order; returns false to stop. */
    public interface Visitor {
        boolean visit(EntryView e);
    }

    /**
     * Walks keys in ascending unsigned order from {@code from} (inclusive or not), under the read
     * lock, until the visitor returns false or the keys end; returns whether it reached the end.
     */
    public boolean scan(byte[] from, boolean inclusive, Visitor visitor) {
        lock.readLock().lock();
        try {
            OrderedIndex.Cursor c = tree.new Cursor(from, inclusive);
            View v = new View();
            for (long t = c.next(); t != 0; t = c.next()) {
                v.side = side(t);
                v.ref = t & REF_MASK;
                if (!visitor.visit(v)) {
                    return false;
                }
            }
            return true;
        } finally {
            lock.readLock().unlock();
        }
    }

    private final class View implements EntryView {
        Side side = pub;
        long ref;

        @Override
        public byte[] key() {
            return side.key(ref);
        }

        @Override
        public byte[] value() {
            return side.value(ref);
        }

        @Override
        public long version() {
            return versionOf(side.stamp(ref));
        }

        @Override
        public Owner owner() {
            return owners.owner(side.ownerWord(ref) & OWNER_INDEX_MASK);
        }

        @Override
        public int valueLength() {
            return (int) side.valueLength(ref);
        }

        @Override
        public long deadline() {
            return side.deadline(ref);
        }
    }

    // ---- the writer ----

    /**
     * Applies {@code changes} (ascending versions, each durable) and records {@code checkpoint}.
     * The caller must not hold an engine stripe lock.
     *
     * @throws IOException if the store's files cannot grow (their file system is full) or a limit of
     *     the store is reached; the store is then behind the journal and must not be written again
     */
    public void apply(List<? extends Change> changes, @Nullable Checkpoint checkpoint) throws IOException {
        lock.writeLock().lock();
        try {
            for (Change c : changes) {
                applyOne(c, false);
            }
            if (checkpoint != null) {
                meta.setCheckpoint(new Meta.Checkpoint(
                        checkpoint.version(), checkpoint.segment(), checkpoint.recordStart(), checkpoint.recordEnd()));
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * At open, before serving: completes a move a crash interrupted (the intent), then applies {@code
     * changes} (the journal after the checkpoint) again. Why that is enough: a change that is not a
     * move writes its new entry before anything points to it, points the ordered index to it before
     * the slot, and kills the old entry before its slot leaves it; applied again from the start, it
     * finds the slot where the crash left it and ends in the same state (a relocation relocates
     * again, an in-place change rewrites, a delete removes what is still linked). {@code repair}
     * also removes a key's twin in the other side and removes a deleted key from the ordered index
     * even where no side holds it. {@link StoreCrashTest} stops the writer at every step and checks.
     */
    public void replay(List<? extends Change> changes, @Nullable Checkpoint checkpoint) throws IOException {
        lock.writeLock().lock();
        try {
            Meta.Intent intent = meta.intent();
            if (intent != null) {
                LOG.log(System.Logger.Level.INFO, "store: completing a move interrupted by a crash");
                finishMove(side(intent.from()), intent.from() & REF_MASK, side(intent.to()), intent.to() & REF_MASK);
            }
            for (Change c : changes) {
                applyOne(c, true);
            }
            if (checkpoint != null) {
                meta.setCheckpoint(new Meta.Checkpoint(
                        checkpoint.version(), checkpoint.segment(), checkpoint.recordStart(), checkpoint.recordEnd()));
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * At open, after {@link #replay}: recounts what an unclean stop may have left inexact (the
     * usage per owner, each chunk's live bytes, the private side's key count); after a clean stop
     * takes what it recorded. Marks the store in use.
     */
    public void recovered(boolean clean) {
        lock.writeLock().lock();
        try {
            if (!clean) {
                Arrays.fill(usageKeys, 0);
                Arrays.fill(usageBytes, 0);
                Side.EntryVisitor count = (ref, ownerWord, keyLength, valueLength) ->
                        addUsage(ownerWord & OWNER_INDEX_MASK, 1, keyLength + valueLength);
                pub.recountChunks(count);
                priv.recountChunks(count);
            } else {
                // The usage and each chunk's live bytes were recorded at the clean stop (without the
                // live bytes every chunk would look empty to the compactor, which would then move the
                // whole store once); a store stopped before they were recorded counts them.
                if (!pub.restoreLiveBytes()) {
                    pub.recountChunks(null);
                }
                if (!priv.restoreLiveBytes()) {
                    priv.recountChunks(null);
                }
            }
            pub.setPrivateLive(priv.index.live());
            meta.markOpen();
            pub.markLive(); // a clean stop retired it
        } finally {
            lock.writeLock().unlock();
        }
    }

    private void applyOne(Change c, boolean repair) throws IOException {
        switch (c.changeKind()) {
            case Change.PUT -> put(c.key(), c.value(), c.version(), ownerOf(c), c.deadline(), repair);
            case Change.DEADLINE -> changeDeadline(c.key(), c.deadline(), repair);
            case Change.DELETE -> delete(c.key(), repair);
            case Change.OWNER -> changeOwner(c.key(), ownerOf(c), repair);
            case Change.NONE -> {}
            default -> throw new IllegalArgumentException("change kind " + c.changeKind());
        }
    }

    /** The owner a PUT or owner change carries (always: the engine fills in a format-1 record's). */
    private static Owner ownerOf(Change c) {
        Owner o = c.owner();
        if (o == null) {
            throw new IllegalArgumentException("a change of kind " + c.changeKind() + " without an owner");
        }
        return o;
    }

    private void addUsage(int ownerNumber, long keys, long bytes) {
        if (ownerNumber >= usageKeys.length) {
            int n = Math.max(ownerNumber + 1, usageKeys.length * 2);
            usageKeys = Arrays.copyOf(usageKeys, n);
            usageBytes = Arrays.copyOf(usageBytes, n);
        }
        usageKeys[ownerNumber] += keys;
        usageBytes[ownerNumber] += bytes;
    }

    private void removeUsage(Side s, long ref) {
        addUsage(s.ownerWord(ref) & OWNER_INDEX_MASK, -1, -(s.keyLength(ref) + s.valueLength(ref)));
    }

    /**
     * Gives the key's entry a new deadline (0: none), keeping its value, version and owner: the entry
     * is written again. Nothing if the store does not hold the key (deleted since).
     */
    private void changeDeadline(byte[] key, long deadline, boolean repair) throws IOException {
        long h = hash(key);
        for (Side s : new Side[] {pub, priv}) {
            long slot = s.find(key, h);
            if (slot >= 0) {
                long ref = refOf(s.index.word(slot));
                if (s.deadline(ref) == deadline) {
                    return;
                }
                put(
                        key,
                        s.value(ref),
                        versionOf(s.stamp(ref)),
                        owners.owner(s.ownerWord(ref) & OWNER_INDEX_MASK),
                        deadline,
                        repair);
                return;
            }
        }
    }

    private void put(byte[] key, byte[] value, long version, Owner owner, long deadline, boolean repair)
            throws IOException {
        long h = hash(key);
        int ownerNo = owners.indexOf(owner);
        Side target = sideFor(owner);
        Side other = target == pub ? priv : pub;
        long stored = Side.storedLength(value.length, deadline);
        long len = entryLength(key.length, stored);
        long ts = target.find(key, h);
        if (ts >= 0) {
            if (repair && other.find(key, h) >= 0) {
                removeFrom(other, key, h, true); // a crash's leftover twin
            }
            long w = target.index.word(ts);
            long cur = refOf(w);
            removeUsage(target, cur);
            if (target.length(cur) == len) {
                target.rewrite(cur, version, ownerNo, value, deadline);
                points.reached();
            } else {
                long now = target.allocate(key.length, stored);
                points.reached(); // room taken, entry not yet written
                target.write(now, version, ownerNo, key, value, deadline);
                points.reached();
                tree.upsert(key, treeRef(target, now));
                target.kill(cur);
                points.reached();
                target.index.set(ts, slotWord(h, now), w);
                points.reached();
                target.zero(cur);
                points.reached();
                target.publish(now, version);
                points.reached();
            }
        } else {
            ts = ensureRoom(target, key, h);
            boolean moving = other.find(key, h) >= 0;
            if (moving) {
                this.moving.incrementAndGet();
            }
            if (target.isPrivate) {
                pub.privateKeyEntering();
                points.reached();
            }
            long now = target.allocate(key.length, stored);
            points.reached(); // room taken, entry not yet written
            target.write(now, version, ownerNo, key, value, deadline);
            points.reached();
            tree.upsert(key, treeRef(target, now));
            long free = -ts - 1;
            target.index.set(free, slotWord(h, now), target.index.word(free));
            points.reached();
            target.publish(now, version);
            points.reached();
            if (moving) {
                removeFrom(other, key, h, true);
                this.moving.incrementAndGet();
            }
        }
        addUsage(ownerNo, 1, key.length + value.length);
    }

    /** The free slot for a new key in {@code s} (as {@link Side#find} returns it), rebuilding the index first if it is full. */
    private long ensureRoom(Side s, byte[] key, long h) throws IOException {
        int log2 = s.index.needsRebuild();
        if (log2 >= 0) {
            rebuild(s, log2);
        }
        long slot = s.find(key, h);
        if (slot >= 0) {
            throw new IllegalStateException("key appeared during a rebuild");
        }
        return slot;
    }

    /** Removes {@code key}'s entry from side {@code s}, if there; with usage. */
    private void removeFrom(Side s, byte[] key, long h, boolean countUsage) throws IOException {
        long slot = s.find(key, h);
        if (slot < 0) {
            return;
        }
        long w = s.index.word(slot);
        long ref = refOf(w);
        if (countUsage) {
            removeUsage(s, ref);
        }
        s.kill(ref);
        points.reached();
        s.index.set(slot, SLOT_TOMBSTONE, w);
        points.reached();
        s.zero(ref);
        points.reached();
        if (s.isPrivate) {
            pub.privateKeyLeft();
            points.reached();
        }
        int log2 = s.index.needsRebuild();
        if (log2 >= 0 && log2 < s.index.log2Slots) {
            rebuild(s, log2); // mass deletes: give the memory back
        }
    }

    private void delete(byte[] key, boolean repair) throws IOException {
        long h = hash(key);
        boolean inPub = pub.find(key, h) >= 0;
        boolean inPriv = priv.find(key, h) >= 0;
        if (inPub || inPriv || repair) {
            tree.remove(key);
        }
        if (inPub) {
            removeFrom(pub, key, h, true);
        }
        if (inPriv) {
            removeFrom(priv, key, h, true);
        }
    }

    private void changeOwner(byte[] key, Owner owner, boolean repair) throws IOException {
        long h = hash(key);
        int ownerNo = owners.indexOf(owner);
        Side target = sideFor(owner);
        Side other = target == pub ? priv : pub;
        long ts = target.find(key, h);
        if (ts >= 0) {
            long ref = refOf(target.index.word(ts));
            removeUsage(target, ref);
            target.setOwner(ref, ownerNo);
            points.reached();
            addUsage(ownerNo, 1, target.keyLength(ref) + target.valueLength(ref));
            if (other.find(key, h) >= 0) {
                removeFrom(other, key, h, true); // a crash's leftover twin
            }
            return;
        }
        long os = other.find(key, h);
        if (os < 0) {
            return; // deleted since (a later record of the same batch, or an earlier crash's replay)
        }
        long from = refOf(other.index.word(os));
        removeUsage(other, from);
        addUsage(ownerNo, 1, other.keyLength(from) + other.valueLength(from));
        moving.incrementAndGet();
        if (target.isPrivate) {
            pub.privateKeyEntering();
            points.reached();
        }
        long to = target.allocate(other.keyLength(from), other.storedLength(from));
        points.reached(); // room taken, entry not yet written
        target.copy(to, other, from, ownerNo);
        points.reached();
        meta.setIntent(INTENT_MOVE, treeRef(other, from), treeRef(target, to));
        points.reached();
        finishMove(other, from, target, to);
        moving.incrementAndGet();
    }

    /**
     * Completes moving the entry {@code from} (in {@code fromSide}) to its whole copy {@code to} (in
     * {@code toSide}, odd stamp): links the copy in the index and the tree, kills and unlinks the
     * original, publishes the copy, clears the intent. Every step checks what is already done, so a
     * crash anywhere, followed by this again at open, ends in the same state.
     */
    private void finishMove(Side fromSide, long from, Side toSide, long to) throws IOException {
        byte[] key = toSide.key(to);
        long h = hash(key);
        long version = versionOf(toSide.stamp(to));
        tree.upsert(key, treeRef(toSide, to));
        long fs = fromSide.find(key, h);
        long fw = fs >= 0 ? fromSide.index.word(fs) : 0;
        boolean fromLinked = fs >= 0 && refOf(fw) == from;
        if (toSide == fromSide) {
            if (fromLinked) {
                fromSide.kill(from);
                points.reached();
                fromSide.index.set(fs, slotWord(h, to), fw);
                points.reached();
            } else if (fs < 0) {
                long free = -ensureRoom(toSide, key, h) - 1;
                toSide.index.set(free, slotWord(h, to), toSide.index.word(free));
                points.reached();
            }
        } else {
            long ts = toSide.find(key, h);
            if (ts < 0) {
                long free = -ensureRoom(toSide, key, h) - 1;
                toSide.index.set(free, slotWord(h, to), toSide.index.word(free));
                points.reached();
            } else if (refOf(toSide.index.word(ts)) != to) {
                long stale = refOf(toSide.index.word(ts));
                toSide.kill(stale);
                points.reached();
                toSide.index.set(ts, slotWord(h, to), toSide.index.word(ts));
                points.reached();
                toSide.zero(stale);
                points.reached();
            }
            if (fromLinked) {
                fromSide.kill(from);
                points.reached();
                fromSide.index.set(fs, SLOT_TOMBSTONE, fw);
                points.reached();
                if (fromSide.isPrivate) {
                    pub.privateKeyLeft();
                    points.reached();
                }
            }
        }
        if (fromSide.stamp(from) != STAMP_DEAD) {
            fromSide.kill(from);
            points.reached();
        }
        fromSide.zero(from);
        points.reached();
        toSide.publish(to, version);
        points.reached();
        meta.clearIntent();
    }

    /**
     * Replaces {@code s}'s index with a new generation of 2^{@code log2} slots holding its keys, then
     * retires the old one (unmapped after a grace period). Clients and the daemon's readers move to
     * the new one at their next lookup.
     */
    private void rebuild(Side s, int log2) throws IOException {
        HashIndex old = s.index;
        HashIndex now = HashIndex.create(s.dir, meta.nextIndexGeneration(), s.generation, log2, s.access);
        try {
            for (long i = 0; i <= old.mask; i++) {
                long w = old.word(i);
                if (!isEntry(w)) {
                    continue;
                }
                long h;
                if (log2 <= SLOT_HASH_BITS) {
                    h = w & ~REF_MASK; // the slot's hash bits are all the new home needs
                } else {
                    h = hash(s.key(refOf(w)));
                }
                now.insertNew(h, w);
            }
        } catch (RuntimeException e) {
            now.close();
            Files.deleteIfExists(now.file);
            throw e;
        }
        s.index = now;
        points.reached();
        WORD.setRelease(s.root, (long) ROOT_INDEX_GENERATION_OFFSET, now.generation);
        points.reached();
        old.retire();
        points.reached();
        rebuilds++;
        Path oldFile = old.file;
        later(() -> {
            old.close();
            try {
                Files.deleteIfExists(oldFile);
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "could not delete the replaced index " + oldFile + ": " + e);
            }
        });
    }

    /** Runs {@code unmap} once every reader of the daemon that might use what it unmaps has left. */
    private void later(Runnable unmap) {
        try {
            reclaimer.execute(() -> {
                grace.synchronize();
                unmap.run();
            });
        } catch (RejectedExecutionException e) {
            // closing: close() unmaps everything itself
        }
    }

    // ---- compaction ----

    /** Bytes of chunk files not taken by live entries (dead entries, and the room left in head chunks). */
    public long deadBytes() {
        return pub.deadBytes() + priv.deadBytes();
    }

    /**
     * Whether compaction should run: dead bytes exceed a quarter of the chunks and 8 MiB, and some
     * chunk is less than three quarters live. Racy (counters read without the lock), for scheduling.
     */
    public boolean wantsCompaction() {
        long total = pub.chunkBytes() + priv.chunkBytes();
        long dead = deadBytes();
        return dead > (8L << 20) && dead * 4 > total && (pub.emptiestChunk() != 0 || priv.emptiestChunk() != 0);
    }

    /**
     * One step of compaction under the write lock: moves the live entries of the emptiest chunk of
     * either side (at most {@code budgetBytes} of them, then returns) and deletes
     * the chunk once empty. Returns whether compaction should go on.
     */
    public boolean compactStep(long budgetBytes) throws IOException {
        lock.writeLock().lock();
        try {
            if (closed || !forceCompaction && !wantsCompaction()) {
                return false;
            }
            Side s = pub;
            double maxShare = forceCompaction ? 2 : 0.75;
            int c = pub.emptiestChunk(maxShare);
            int p = priv.emptiestChunk(maxShare);
            if (c == 0 || p != 0 && priv.liveShare(p) < pub.liveShare(c)) {
                s = priv;
                c = p;
            }
            if (c == 0) {
                return false;
            }
            Side.Chunk k = s.chunks.get(c);
            MemorySegment seg = k.segment();
            long moved = 0;
            for (long off = CHUNK_HEADER_LENGTH; off + ENTRY_HEADER_LENGTH <= seg.byteSize(); ) {
                int kl = seg.get(SHORT, off + ENTRY_KEY_LENGTH_OFFSET) & 0xFFFF;
                if (kl == 0) {
                    break;
                }
                long from = ref(c, off);
                long len = s.length(from);
                if ((s.stamp(from) & 1) == 0) {
                    if (moved >= budgetBytes) {
                        return true; // more next time
                    }
                    relocate(s, from);
                    moved += len;
                }
                off += len;
            }
            compactedBytes += moved;
            Side.Chunk gone = s.deleteChunk(c);
            later(() -> gone.arena().close());
            return true;
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** Moves a live entry to the head of its side (same version), or kills it if no slot holds it. */
    private void relocate(Side s, long from) throws IOException {
        byte[] key = s.key(from);
        long slot = s.find(key, hash(key));
        if (slot < 0 || refOf(s.index.word(slot)) != from) {
            s.kill(from); // not linked: left by a crash
            s.zero(from);
            points.reached();
            return;
        }
        long to = s.allocate(s.keyLength(from), s.storedLength(from));
        points.reached(); // room taken, entry not yet written
        s.copy(to, s, from, s.ownerWord(from));
        points.reached();
        meta.setIntent(INTENT_MOVE, treeRef(s, from), treeRef(s, to));
        points.reached();
        finishMove(s, from, s, to);
    }

    // ---- usage ----

    /** Keys and bytes (key plus value) per owner, as applied. */
    public Map<Owner, long[]> usage() {
        lock.writeLock().lock();
        try {
            Map<Owner, long[]> m = new HashMap<>();
            for (int i = 1; i < usageKeys.length; i++) {
                if (usageKeys[i] != 0 || usageBytes[i] != 0) {
                    m.merge(owners.owner(i), new long[] {usageKeys[i], usageBytes[i]}, (a, b) ->
                            new long[] {a[0] + b[0], a[1] + b[1]});
                }
            }
            return m;
        } finally {
            lock.writeLock().unlock();
        }
    }

    private boolean readUsage() {
        Path f = priv.dir.resolve(StoreLayout.USAGE_FILE);
        try {
            ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(f));
            int n = b.getInt();
            for (int i = 0; i < n; i++) {
                int owner = b.getInt();
                addUsage(owner, b.getLong(), b.getLong());
            }
            Files.delete(f); // stale from the first change on
            return true;
        } catch (NoSuchFileException e) {
            return false;
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "store usage file " + f + " is unreadable (" + e + "); recounting");
            Arrays.fill(usageKeys, 0);
            Arrays.fill(usageBytes, 0);
            return false;
        }
    }

    private void writeUsage() throws IOException {
        List<int[]> rows = new ArrayList<>();
        for (int i = 1; i < usageKeys.length; i++) {
            if (usageKeys[i] != 0 || usageBytes[i] != 0) {
                rows.add(new int[] {i});
            }
        }
        ByteBuffer b = ByteBuffer.allocate(4 + rows.size() * 20);
        b.putInt(rows.size());
        for (int[] r : rows) {
            b.putInt(r[0]).putLong(usageKeys[r[0]]).putLong(usageBytes[r[0]]);
        }
        Path f = priv.dir.resolve(StoreLayout.USAGE_FILE);
        Path tmp = priv.dir.resolve(StoreLayout.USAGE_FILE + ".tmp");
        try (FileChannel c = FileChannel.open(
                tmp,
                Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
            b.flip();
            while (b.hasRemaining()) {
                c.write(b);
            }
        }
        Files.move(tmp, f, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    // ---- state ----

    /** Numbers for STATS. */
    public record Stats(
            long publicKeys,
            long privateKeys,
            long chunkBytes,
            long liveEntryBytes,
            long indexBytes,
            long treeBytes,
            int owners,
            long rebuilds,
            long compactedBytes) {}

    public Stats stats() {
        HashIndex pi = pub.index;
        HashIndex qi = priv.index;
        return new Stats(
                pi.live(),
                qi.live(),
                pub.chunkBytes() + priv.chunkBytes(),
                pub.entryBytes() + priv.entryBytes(),
                indexLength(pi.log2Slots) + indexLength(qi.log2Slots),
                tree.fileBytes(),
                owners.size(),
                rebuilds,
                compactedBytes);
    }

    /** Keys in the store. */
    public long size() {
        return pub.index.live() + priv.index.live();
    }

    /**
     * At open of a store a crash left (before any record is replayed, whether or not the journal has
     * any after the checkpoint): retires the public side, so that clients that mapped it before the
     * crash stop reading it until {@link #recovered} marks it live again (a replay re-applies records,
     * a value may step back within the batch being redone, and in always mode records not yet forced
     * to disk are applied), and completes a move the compactor was making (the intent).
     */
    public void beginRecovery() throws IOException {
        retirePublic();
        replay(List.of(), null);
    }

    /** Retires the public side: clients stop reading it directly (the journal failed, or the daemon stops). */
    public void retirePublic() {
        pub.retire();
    }

    /**
     * Closes the store. With {@code clean}, every change the journal holds has been applied: the
     * counts are recorded as exact and the next open trusts them without a recount. The public side
     * is retired either way, so clients ask the daemon (a daemon that continues the store marks it
     * LIVE again once recovered).
     */
    public void close(boolean clean) throws IOException {
        lock.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            reclaimer.shutdown();
            try {
                reclaimer.awaitTermination(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            pub.retire(); // clients go back to the socket, and find the daemon gone or back
            if (clean) {
                pub.index.writeCounts();
                priv.index.writeCounts();
                pub.recordLiveBytes();
                priv.recordLiveBytes();
                writeUsage();
                meta.markClosed();
            }
        } finally {
            lock.writeLock().unlock();
            closeQuietly(tree, owners, pub, priv, meta);
        }
    }

    @Override
    public void close() throws IOException {
        close(false);
    }

    /** For tests: one compaction step whatever the thresholds (every chunk less than three quarters live qualifies). */
    void compactStepForTest() throws IOException {
        lock.writeLock().lock();
        try {
            forceCompaction = true;
            compactStep(1 << 16);
        } finally {
            forceCompaction = false;
            lock.writeLock().unlock();
        }
    }

    /** For tests: replaces the public side's index by a new generation of the same size. */
    void rebuildForTest() throws IOException {
        lock.writeLock().lock();
        try {
            rebuild(pub, pub.index.log2Slots);
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** For tests: the ordered index's reference for {@code key}, or 0. */
    long treeRefOf(byte[] key) {
        lock.readLock().lock();
        try {
            return tree.get(key);
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * Unmaps everything without writing a byte, as a killed process would leave the files (for
     * crash tests; the store must not be used afterwards).
     */
    public void abandon() {
        closed = true;
        reclaimer.shutdownNow();
        closeQuietly(tree, owners, pub, priv, meta);
    }
}
