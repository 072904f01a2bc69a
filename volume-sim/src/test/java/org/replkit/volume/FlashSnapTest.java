package org.replkit.volume;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;

import org.h2.store.fs.FilePath;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** FlashSnap on a real H2 database living on a simulated volume. */
class FlashSnapTest {
   private static final int ACCOUNTS = 20;
   private static final long INITIAL = 1_000;

   @TempDir
   Path dir;
   Path root;
   Path plan;
   VolumeManager vm;
   String url;
   final List<String> out = new ArrayList<>();
   FlashSnap flash;

   @BeforeEach
   void setUp() throws Exception {
      root = dir.resolve("vols");
      vm = VolumeManager.open(root);
      vm.createDiskGroup("PRODdg");
      vm.createVolume("PRODdg", "datavol", 256L << 20);
      vm.createVolume("PRODdg", "logvol", 16L << 20);
      url = vm.jdbcUrl("PRODdg", "datavol", "PROD");
      try (Connection c = open(url); Statement st = c.createStatement()) {
         st.execute("CREATE TABLE account(id INT PRIMARY KEY, balance BIGINT NOT NULL)");
         st.execute("INSERT INTO account SELECT X, " + INITIAL + " FROM SYSTEM_RANGE(1, " + ACCOUNTS + ")");
         st.execute("CREATE SCHEMA replkit");
         st.execute("CREATE TABLE replkit.rk_commit(seq BIGINT PRIMARY KEY, committed_at TIMESTAMP)");
         st.execute("CREATE TABLE replkit.rk_counter(id INT PRIMARY KEY, seq BIGINT NOT NULL)");
         st.execute("INSERT INTO replkit.rk_counter VALUES (1, 0)");
      }
      try (FileChannel ch = FilePath.get("vol:" + root.resolve("PRODdg/logvol/archive.log")).open("rw")) {
         ch.write(ByteBuffer.wrap("log file on a second volume".getBytes()), 0);
      }
      plan = writePlan("snap1.plan", "");
      flash = new FlashSnap(out::add);
   }

   @AfterEach
   void tearDown() {
      vm.close();
   }

   private static Connection open(String url) throws SQLException {
      return DriverManager.getConnection(url + ";WRITE_DELAY=20", "sa", "");
   }

   private Path writePlan(String name, String extra) throws IOException {
      String text = "PRIMARY_DB=PROD\nVOLUME_ROOT=vols\nPRIMARY_DG=PRODdg\nVOLUMES=datavol,logvol\n"
            + "SNAPSHOT_NAME=snap1\nSNAPSHOT_MODE=online\nCLUSTERED=no\n" + extra;
      // later lines override earlier ones, so extra can replace a field
      Path p = dir.resolve(name);
      Files.writeString(p, text);
      return p;
   }

   /** One transfer: both account updates, then the next commit sequence and its change-log row, one transaction. */
   private static void transfer(Connection c, int from, int to, long amount) throws SQLException {
      int first = Math.min(from, to);
      int second = Math.max(from, to);
      try (PreparedStatement up = c.prepareStatement("UPDATE account SET balance = balance + ? WHERE id = ?")) {
         up.setLong(1, first == from ? -amount : amount);
         up.setInt(2, first);
         up.executeUpdate();
         up.setLong(1, second == from ? -amount : amount);
         up.setInt(2, second);
         up.executeUpdate();
      }
      try (Statement st = c.createStatement()) {
         st.executeUpdate("UPDATE replkit.rk_counter SET seq = seq + 1 WHERE id = 1");
         st.executeUpdate("INSERT INTO replkit.rk_commit SELECT seq, CURRENT_TIMESTAMP FROM replkit.rk_counter");
      }
      c.commit();
   }

   private static long[] sumCountMax(String url) throws SQLException {
      try (Connection c = open(url); Statement st = c.createStatement();
           ResultSet rs = st.executeQuery("SELECT (SELECT SUM(balance) FROM account), (SELECT COUNT(*) FROM"
                 + " replkit.rk_commit), (SELECT COALESCE(MAX(seq), 0) FROM replkit.rk_commit)")) {
         rs.next();
         return new long[] {rs.getLong(1), rs.getLong(2), rs.getLong(3)};
      }
   }

   private void commitTransfers(int n) throws SQLException {
      try (Connection c = open(url)) {
         c.setAutoCommit(false);
         for (int i = 0; i < n; i++) {
            transfer(c, 1 + i % ACCOUNTS, 1 + (i + 7) % ACCOUNTS, 5);
         }
      }
   }

   /** Digest of every file on a volume, read through the volume file system. */
   private String digest(String vol) throws Exception {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      TreeMap<String, String> files = new TreeMap<>();
      for (String f : vm.files("PRODdg", vol)) {
         try (FileChannel ch = FilePath.get("vol:" + root.resolve("PRODdg").resolve(vol).resolve(f)).open("r")) {
            ByteBuffer b = ByteBuffer.allocate((int) ch.size());
            while (b.hasRemaining() && ch.read(b, b.position()) > 0) {
               // read all
            }
            files.put(f, HexFormat.of().formatHex(md.digest(b.array())));
         }
      }
      return files.toString();
   }

   @Test
   void snapshotOfARunningDatabaseOpensConsistentWithItsPosition() throws Exception {
      flash.validate("PROD", plan);
      AtomicBoolean stop = new AtomicBoolean();
      ExecutorService pool = Executors.newFixedThreadPool(4);
      List<Future<Integer>> workers = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
         workers.add(pool.submit(() -> {
            int done = 0;
            try (Connection c = open(url)) {
               c.setAutoCommit(false);
               ThreadLocalRandom r = ThreadLocalRandom.current();
               while (!stop.get()) {
                  int from = 1 + r.nextInt(ACCOUNTS);
                  int to = 1 + (from + r.nextInt(ACCOUNTS - 1)) % ACCOUNTS;
                  try {
                     transfer(c, from, to, 1 + r.nextInt(50));
                     done++;
                  } catch (SQLException e) {
                     c.rollback(); // lock timeout under contention: the transfer simply did not happen
                  }
               }
            }
            return done;
         }));
      }
      Thread.sleep(700);
      FlashSnap.Snapshot snap = flash.snapshot("PROD", plan);
      Thread.sleep(300);
      stop.set(true);
      int transfers = 0;
      for (Future<Integer> w : workers) {
         transfers += w.get();
      }
      pool.shutdown();

      assertEquals(SnapState.SNAPSHOT_TAKEN, snap.state());
      assertEquals(List.of("SNAP_datavol", "SNAP_logvol"), snap.snapshotVolumes());
      long[] live = sumCountMax(url);
      assertEquals(ACCOUNTS * INITIAL, live[0]);
      assertEquals(transfers, live[1], "every committed transfer is in the live change log");

      long position = snap.position();
      assertTrue(position > 0, "transfers ran for 700 ms before the snapshot");
      assertTrue(position < transfers, "transfers went on after the snapshot");
      assertTrue(out.contains("Snapshot snap1 of PROD taken: datavol -> SNAP_datavol, logvol -> SNAP_logvol;"
            + " change-log position " + position + " (max replkit.rk_commit.seq in the image)"), out.toString());

      FlashSnap.Snapshot mounted = flash.mountClone("PROD", plan);
      long[] image = sumCountMax(mounted.cloneUrl());
      assertEquals(ACCOUNTS * INITIAL, image[0], "the image holds no half transfer");
      assertEquals(position, image[1], "the image holds exactly the transactions up to its position");
      assertEquals(position, image[2]);
      assertEquals(digest("logvol"), digest("SNAP_logvol"), "every volume of the snapplan was taken");
   }

   @Test
   void outputFollowsTheSeed() {
      Clock at = Clock.fixed(LocalDateTime.of(2004, 4, 2, 16, 16, 44).atZone(ZoneId.systemDefault()).toInstant(),
            ZoneId.systemDefault());
      FlashSnap fixed = new FlashSnap(out::add, at);
      fixed.validate("PROD", plan);
      fixed.snapshot("PROD", plan);
      assertEquals("vmchecksnap started at 2004-04-02 16:16:44", out.get(0));
      assertEquals(8, out.size(), out.toString());
      assertTrue(out.get(1).startsWith("Snapplan snap1.plan is valid: database PROD on PRODdg/datavol"), out.get(1));
      assertEquals("The option validate has been completed.", out.get(2));
      assertEquals("vmchecksnap ended at 2004-04-02 16:16:44", out.get(3));
      assertEquals(List.of("vmsnap started at 2004-04-02 16:16:44",
            "Snapshot snap1 of PROD taken: datavol -> SNAP_datavol, logvol -> SNAP_logvol; change-log position 0"
                  + " (max replkit.rk_commit.seq in the image)",
            "The option snapshot has been completed.", "vmsnap ended at 2004-04-02 16:16:44"),
            out.subList(out.size() - 4, out.size()));
   }

   @Test
   void resyncRefreshesTheSnapshotFromTheOriginal() throws Exception {
      commitTransfers(5);
      flash.validate("PROD", plan);
      assertEquals(5, flash.snapshot("PROD", plan).position()); // closed database: everything is on the volume
      commitTransfers(7);

      FlashSnap.Snapshot again = flash.resync("PROD", plan);
      assertEquals(SnapState.SNAPSHOT_TAKEN, again.state());
      assertEquals(12, again.position());
      assertEquals(12, sumCountMax(again.cloneUrl())[1]);
      assertEquals("The option resync has been completed.", out.get(out.size() - 2));
   }

   @Test
   void reverseResyncAbortBringsTheOriginalBackExactly() throws Exception {
      commitTransfers(3);
      flash.validate("PROD", plan);
      flash.snapshot("PROD", plan);
      commitTransfers(4);
      String original = digest("datavol");

      flash.reverseResyncBegin("PROD", plan);
      assertEquals(SnapState.REVERSE_RESYNC_IN_PROGRESS, flash.status("PROD", plan).state());
      assertEquals(3, sumCountMax(url)[1], "the original now holds the snapshot");
      commitTransfers(2); // checking the restored database may write to it; abort discards that too

      flash.reverseResyncAbort("PROD", plan);
      assertEquals(original, digest("datavol"), "every byte of every file is back");
      assertEquals(7, sumCountMax(url)[1]);
      assertEquals(SnapState.SNAPSHOT_TAKEN, flash.status("PROD", plan).state());
      assertFalse(vm.volumes("PRODdg").contains(".rr.datavol"), "the saved original was released");
      assertEquals(7, flash.resync("PROD", plan).position(), "the snapshot is usable after abort");
   }

   @Test
   void reverseResyncCommitMakesTheRestorePermanent() throws Exception {
      commitTransfers(3);
      flash.validate("PROD", plan);
      flash.snapshot("PROD", plan);
      commitTransfers(4);

      flash.reverseResyncBegin("PROD", plan);
      FlashSnap.Snapshot done = flash.reverseResyncCommit("PROD", plan);
      assertEquals(SnapState.VALIDATED, done.state());
      assertEquals(3, sumCountMax(url)[1]);
      assertEquals(List.of("datavol", "logvol"), vm.volumes("PRODdg"), "saved originals and snapshot consumed");
      assertEquals("The option reverse_resync_commit has been completed.", out.get(out.size() - 2));

      VolumeException e = assertThrows(VolumeException.class, () -> flash.reverseResyncAbort("PROD", plan));
      assertTrue(e.getMessage().contains("no snapshot has been taken"), e.getMessage());
      assertEquals(3, flash.snapshot("PROD", plan).position(), "a new snapshot can be taken");
   }

   // ---------------------------------------------------------------- each broken rule: a clear error, no change

   /**
    * What a refused command must leave as it was: the state, the set of volumes, and every volume's contents. A
    * volume with an open database on it is written by that database at any time (H2's background writer), so its
    * bytes are no measure; for it the open files must still be open (not dropped or replaced) and, for the
    * original database, its rows unchanged. Every other volume must be unchanged byte for byte.
    */
   private void assertRefused(String expected, Runnable op, SnapState stateBefore) throws Exception {
      List<String> volumes = vm.volumes("PRODdg");
      TreeMap<String, String> before = volumeContents(volumes);
      long[] rows = vm.inUse("PRODdg", "datavol") ? sumCountMax(url) : null;
      VolumeException e = assertThrows(VolumeException.class, op::run);
      assertTrue(e.getMessage().contains(expected), e.getMessage());
      assertEquals(stateBefore, flash.status("PROD", plan).state(), "state unchanged");
      assertEquals(volumes, vm.volumes("PRODdg"), "no volume created or deleted");
      assertEquals(before, volumeContents(volumes), "every volume is unchanged");
      if (rows != null) {
         assertEquals(java.util.Arrays.toString(rows), java.util.Arrays.toString(sumCountMax(url)),
               "the open original database is unchanged");
      }
      assertFalse(out.get(out.size() - 1).contains("ended at"), "a refused option does not complete");
   }

   /** Per volume: the digest of its files, or for a volume in use, how many files are open on it. */
   private TreeMap<String, String> volumeContents(List<String> volumes) throws Exception {
      TreeMap<String, String> contents = new TreeMap<>();
      for (String v : volumes) {
         Volume vol = vm.group("PRODdg").requireVolume(v);
         contents.put(v, vol.inUse() ? "in use, open files: " + vol.openChannels() : digest(v));
      }
      return contents;
   }

   @Test
   void snapshotNeedsAValidatedSnapplan() throws Exception {
      assertRefused("the snapplan " + plan + " has not been validated. Validate it first: vmchecksnap -S PROD -f "
            + plan + " -o validate", () -> flash.snapshot("PROD", plan), SnapState.NONE);
   }

   @Test
   void resyncNeedsASnapshot() throws Exception {
      assertRefused("has not been validated", () -> flash.resync("PROD", plan), SnapState.NONE);
      flash.validate("PROD", plan);
      assertRefused("no snapshot has been taken. Take one first: vmsnap -S PROD -f " + plan + " -o snapshot",
            () -> flash.resync("PROD", plan), SnapState.VALIDATED);
   }

   @Test
   void aMountedCloneMustBeUnmountedFirst() throws Exception {
      flash.validate("PROD", plan);
      assertRefused("no snapshot has been taken", () -> flash.mountClone("PROD", plan), SnapState.VALIDATED);
      flash.snapshot("PROD", plan);
      FlashSnap.Snapshot snap = flash.mountClone("PROD", plan);
      String umount = "Shut it down and unmount it first: vmclonedb -S PROD -f " + plan + " -o umount";
      assertRefused(umount, () -> flash.resync("PROD", plan), SnapState.CLONE_MOUNTED);
      assertRefused(umount, () -> flash.reverseResyncBegin("PROD", plan), SnapState.CLONE_MOUNTED);
      assertRefused("already mounted", () -> flash.mountClone("PROD", plan), SnapState.CLONE_MOUNTED);
      try (Connection clone = open(snap.cloneUrl())) {
         assertRefused("The clone database of snapshot snap1 is still open (volume SNAP_datavol)",
               () -> flash.umountClone("PROD", plan), SnapState.CLONE_MOUNTED);
      }
      flash.umountClone("PROD", plan);
      assertEquals(SnapState.SNAPSHOT_TAKEN, flash.resync("PROD", plan).state());
   }

   @Test
   void reverseResyncIsRefusedForClusteredConfigurations() throws Exception {
      Path clustered = writePlan("rac.plan", "CLUSTERED=yes\n");
      flash.validate("PROD", clustered);
      flash.snapshot("PROD", clustered);
      plan = clustered;
      assertRefused("Reverse resynchronization is not supported in clustered configurations (CLUSTERED=yes",
            () -> flash.reverseResyncBegin("PROD", clustered), SnapState.SNAPSHOT_TAKEN);
   }

   @Test
   void reverseResyncNeedsTheDatabaseClosed() throws Exception {
      flash.validate("PROD", plan);
      flash.snapshot("PROD", plan);
      try (Connection live = open(url)) {
         assertRefused("A database on volume PRODdg/datavol is open (1 open file)",
               () -> flash.reverseResyncBegin("PROD", plan), SnapState.SNAPSHOT_TAKEN);
      }
      flash.reverseResyncBegin("PROD", plan);
      try (Connection live = open(url)) {
         assertRefused("Close every connection to it", () -> flash.reverseResyncCommit("PROD", plan),
               SnapState.REVERSE_RESYNC_IN_PROGRESS);
         assertRefused("Close every connection to it", () -> flash.reverseResyncAbort("PROD", plan),
               SnapState.REVERSE_RESYNC_IN_PROGRESS);
      }
      assertRefused("a reverse resynchronization is in progress. Finish it first",
            () -> flash.resync("PROD", plan), SnapState.REVERSE_RESYNC_IN_PROGRESS);
   }

   @Test
   void aChangedSnapplanMustBeValidatedAgain() throws Exception {
      flash.validate("PROD", plan);
      writePlan("snap1.plan", "SNAPSHOT_MODE=instant\n");
      assertRefused("changed since it was validated", () -> flash.snapshot("PROD", plan), SnapState.VALIDATED);
   }

   // ---------------------------------------------------------------- snapplan validation names each wrong field

   private SnapPlan.InvalidException invalid(String sid, Path p) {
      SnapPlan.InvalidException e = assertThrows(SnapPlan.InvalidException.class, () -> flash.validate(sid, p));
      assertEquals(SnapState.NONE, flash.status("PROD", plan).state(), "a failed validation records nothing");
      return e;
   }

   @Test
   void validationNamesEveryWrongFieldAtOnce() throws IOException {
      Path bad = dir.resolve("bad.plan");
      Files.writeString(bad, "PRIMARY_DB=PROD\nVOLUME_ROOT=vols\nPRIMARY_DG=PRODdg\nSNAPSHOT_NAME=1snap\n"
            + "SNAPSHOT_VOL_PREFIX=bad-prefix\nSNAPSHOT_MODE=sometimes\nCLUSTERED=maybe\nSNAPSHOT_MOD=online\n");
      SnapPlan.InvalidException e = invalid("OTHER", bad);
      assertEquals(List.of("SNAPSHOT_MOD", "VOLUMES", "PRIMARY_DB", "SNAPSHOT_NAME", "SNAPSHOT_VOL_PREFIX",
            "SNAPSHOT_MODE", "CLUSTERED"), e.fields(), e.getMessage());
      assertTrue(e.getMessage().contains("PRIMARY_DB: is PROD but the command names database OTHER (-S)"));
      assertTrue(e.getMessage().contains("SNAPSHOT_MODE: 'sometimes' is not one of online, instant, offline"));
      assertTrue(e.getMessage().contains("CLUSTERED: 'maybe' is not one of yes, no"));
      assertTrue(e.getMessage().contains("VOLUMES: missing; it is required"));
      assertTrue(e.getMessage().contains("SNAPSHOT_MOD: unknown field"));
   }

   @Test
   void validationChecksTheRootAndTheDiskGroup() throws IOException {
      SnapPlan.InvalidException e = invalid("PROD", writePlan("p1.plan", "VOLUME_ROOT=nowhere\n"));
      assertEquals(List.of("VOLUME_ROOT"), e.fields(), e.getMessage());
      e = invalid("PROD", writePlan("p2.plan", "PRIMARY_DG=NODG\n"));
      assertEquals(List.of("PRIMARY_DG"), e.fields(), e.getMessage());
      assertTrue(e.getMessage().contains("no disk group NODG under " + root + "; disk groups there: [PRODdg]"));
   }

   @Test
   void validationChecksTheVolumesAndTheDatabase() throws IOException {
      SnapPlan.InvalidException e = invalid("PROD", writePlan("p3.plan", "VOLUMES=datavol,nosuchvol,datavol\n"));
      assertEquals(List.of("VOLUMES"), e.fields());
      assertEquals(2, e.problems().size(), e.getMessage());
      assertTrue(e.getMessage().contains("names volume datavol twice"));
      assertTrue(e.getMessage().contains("no volume nosuchvol in disk group PRODdg; volumes there: [datavol, logvol]"));

      e = invalid("ACCT", writePlan("p4.plan", "PRIMARY_DB=ACCT\nVOLUMES=logvol\n"));
      assertEquals(List.of("PRIMARY_DB"), e.fields());
      assertTrue(e.getMessage().contains("no database ACCT (ACCT.mv.db) on volumes [logvol]"), e.getMessage());
   }

   @Test
   void validationRefusesAPrefixWhoseVolumesExist() throws Exception {
      vm.createVolume("PRODdg", "SNAP_datavol", 1L << 20);
      SnapPlan.InvalidException e = invalid("PROD", plan);
      assertEquals(List.of("SNAPSHOT_VOL_PREFIX"), e.fields(), e.getMessage());
      assertNull(flash.status("PROD", plan).position());
   }
}
