package org.replkit.volume;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Consumer;
import java.util.stream.Collectors;

import org.replkit.volume.SnapPlan.Problem;
import org.replkit.volume.SnapState.Op;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Database FlashSnap on simulated volumes: the Java API behind {@code vmchecksnap}, {@code vmsnap} and
 * {@code vmclonedb}. Each operation prints {@code <command> started at <time>}, its findings,
 * {@code The option <option> has been completed.} and {@code <command> ended at <time>}; a refused operation throws
 * {@link VolumeException} (after the started line) and has changed nothing. The lifecycle is {@link SnapState}.
 */
public final class FlashSnap {
   private static final Logger LOG = LoggerFactory.getLogger(FlashSnap.class);
   private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");
   private static final String STATE_SUFFIX = ".snapstate";

   private final Consumer<String> out;
   private final Clock clock;

   /** A snapshot as recorded: its state, volumes and the change-log position its image holds. */
   public record Snapshot(String name, SnapState state, Path root, String diskGroup, String database,
                          List<String> volumes, List<String> snapshotVolumes, String databaseVolume, Long position,
                          Instant takenAt) {
      /** The JDBC URL of the clone: the database on the snapshot volumes (meaningful once a snapshot exists). */
      public String cloneUrl() {
         String snapVol = snapshotVolumes.get(volumes.indexOf(databaseVolume));
         return VolumeManager.open(root).jdbcUrl(diskGroup, snapVol, database);
      }
   }

   public FlashSnap(Consumer<String> out) {
      this(out, Clock.systemDefaultZone());
   }

   public FlashSnap(Consumer<String> out, Clock clock) {
      this.out = out;
      this.clock = clock;
   }

   // ---------------------------------------------------------------- operations

   /** vmchecksnap -o validate: checks every field of the snapplan and names each wrong one. */
   public Snapshot validate(String sid, Path planFile) {
      return run(Op.VALIDATE, sid, planFile, (c, to) -> {
         List<Problem> problems = new ArrayList<>(c.plan.problems(sid));
         if (problems.isEmpty()) {
            problems.addAll(stateProblems(c));
         }
         if (!problems.isEmpty()) {
            throw new SnapPlan.InvalidException(c.plan.file(), problems);
         }
         if (c.state == SnapState.NONE) {
            c.record.setProperty("db", sid);
         }
         c.record.setProperty("plan", c.plan.file().toString());
         c.record.setProperty("fingerprint", c.plan.fingerprint());
         out.accept("Snapplan " + c.plan.file().getFileName() + " is valid: database " + sid + " on "
               + c.plan.diskGroup() + "/" + c.plan.databaseVolume() + ", volumes " + c.plan.volumes() + ", snapshot "
               + c.plan.snapshotName() + ", mode " + c.plan.mode().name().toLowerCase() + ", clustered "
               + (c.plan.clustered() ? "yes" : "no") + ".");
      });
   }

   /** vmsnap -o snapshot: one crash-consistent instant of every volume, and the change-log position it holds. */
   public Snapshot snapshot(String sid, Path planFile) {
      return run(Op.SNAPSHOT, sid, planFile, (c, to) -> {
         if (!c.plan.fingerprint().equals(c.record.getProperty("fingerprint"))) {
            throw new VolumeException("Snapplan " + c.plan.file() + " changed since it was validated. Validate it"
                  + " again: " + Op.VALIDATE.invocation(sid, c.plan.file()));
         }
         List<Problem> problems = new ArrayList<>(c.plan.problems(sid));
         problems.addAll(stateProblems(c));
         if (!problems.isEmpty()) {
            throw new SnapPlan.InvalidException(c.plan.file(), problems);
         }
         if (c.plan.mode() == SnapPlan.Mode.OFFLINE) {
            requireClosed(c, c.plan.volumes(), "SNAPSHOT_MODE=offline needs the database closed");
         }
         List<String> vols = c.plan.volumes();
         List<String> snaps = vols.stream().map(c.plan::snapshotVolume).collect(Collectors.toList());
         String dbVol = c.plan.databaseVolume();
         copyQuiesced(c, dbVol, pairs(vols, snaps));
         Long position;
         try {
            position = readPosition(c, snaps.get(vols.indexOf(dbVol)));
         } catch (RuntimeException e) {
            for (String s : snaps) {
               c.vm.deleteVolume(c.dg, s); // leave nothing behind: the snapshot did not happen
            }
            throw e;
         }
         c.record.setProperty("volumes", String.join(",", vols));
         c.record.setProperty("snapshotVolumes", String.join(",", snaps));
         c.record.setProperty("databaseVolume", dbVol);
         c.record.setProperty("clustered", Boolean.toString(c.plan.clustered()));
         recordImage(c, position);
         out.accept("Snapshot " + c.name + " of " + sid + " taken: " + describe(vols, snaps) + "; " + position(position));
      });
   }

   /** vmsnap -o resync: refreshes the snapshot volumes from the original ones. */
   public Snapshot resync(String sid, Path planFile) {
      return run(Op.RESYNC, sid, planFile, (c, to) -> {
         List<String> vols = c.volumes();
         List<String> snaps = c.snapshotVolumes();
         requireClosed(c, snaps, "the snapshot volumes are refreshed");
         copyQuiesced(c, c.record.getProperty("databaseVolume"), pairs(vols, snaps));
         recordImage(c, readPosition(c, snaps.get(vols.indexOf(c.record.getProperty("databaseVolume")))));
         out.accept("Snapshot " + c.name + " resynchronized from " + sid + ": " + describe(vols, snaps) + "; "
               + position(c.position()));
      });
   }

   /** vmsnap -o reverse_resync_begin: the original volumes take the snapshot's contents; the old ones are kept. */
   public Snapshot reverseResyncBegin(String sid, Path planFile) {
      return run(Op.REVERSE_RESYNC_BEGIN, sid, planFile, (c, to) -> {
         requireNotClustered(c);
         requireClosed(c, c.volumes(), "reverse resynchronization replaces its volumes");
         requireClosed(c, c.snapshotVolumes(), "reverse resynchronization reads the snapshot volumes");
         List<String> vols = c.volumes();
         c.vm.copyVolumes(c.dg, pairs(vols, saved(vols)));
         c.save(to); // from here on abort can put the originals back, even after a crash
         c.vm.copyVolumes(c.dg, pairs(c.snapshotVolumes(), vols));
         out.accept("Volumes " + vols + " of " + sid + " now hold snapshot " + c.name + " (" + position(c.position())
               + "). Open the database to check it, close it, then commit or abort.");
      });
   }

   /** vmsnap -o reverse_resync_abort: the original volumes come back exactly as they were before begin. */
   public Snapshot reverseResyncAbort(String sid, Path planFile) {
      return run(Op.REVERSE_RESYNC_ABORT, sid, planFile, (c, to) -> {
         requireClosed(c, c.volumes(), "abort puts its original volumes back");
         List<String> vols = c.volumes();
         c.vm.copyVolumes(c.dg, pairs(saved(vols), vols));
         for (String s : saved(vols)) {
            c.vm.deleteVolume(c.dg, s);
         }
         out.accept("Volumes " + vols + " of " + sid + " are back as they were before reverse_resync_begin.");
      });
   }

   /** vmsnap -o reverse_resync_commit: the restore is permanent; the snapshot volumes are consumed. */
   public Snapshot reverseResyncCommit(String sid, Path planFile) {
      return run(Op.REVERSE_RESYNC_COMMIT, sid, planFile, (c, to) -> {
         requireClosed(c, c.volumes(), "commit releases its previous contents");
         List<String> vols = c.volumes();
         List<String> snaps = c.snapshotVolumes();
         for (String s : saved(vols)) {
            c.vm.deleteVolume(c.dg, s);
         }
         for (String s : snaps) {
            c.vm.deleteVolume(c.dg, s);
         }
         out.accept("Reverse resynchronization of " + sid + " from snapshot " + c.name + " is committed; take a new"
               + " snapshot with " + Op.SNAPSHOT.invocation(sid, c.plan.file()));
         for (String k : List.of("volumes", "snapshotVolumes", "databaseVolume", "position", "takenAt")) {
            c.record.remove(k);
         }
      });
   }

   /** vmclonedb -o mount: opens the snapshot as a separate database (crash recovery runs) and gives its URL. */
   public Snapshot mountClone(String sid, Path planFile) {
      return run(Op.MOUNT, sid, planFile, (c, to) -> {
         String url = c.snapshot(to).cloneUrl();
         try (Connection conn = connect(url, c.plan)) {
            conn.isValid(1);
         } catch (SQLException e) {
            throw new VolumeException("The clone database " + url + " does not open: " + e.getMessage(), e);
         }
         out.accept("Clone database " + sid + " of snapshot " + c.name + " is mounted: " + url);
      });
   }

   /** vmclonedb -o umount: the clone must be shut down (no connection open on it). */
   public Snapshot umountClone(String sid, Path planFile) {
      return run(Op.UMOUNT, sid, planFile, (c, to) -> {
         for (String v : c.snapshotVolumes()) {
            if (c.vm.inUse(c.dg, v)) {
               throw new VolumeException("The clone database of snapshot " + c.name + " is still open (volume " + v
                     + "). Close every connection to it (or run SHUTDOWN) and retry.");
            }
         }
         out.accept("Clone database " + sid + " of snapshot " + c.name + " is unmounted.");
      });
   }

   /** The recorded state of the snapplan's snapshot; prints nothing and changes nothing. */
   public Snapshot status(String sid, Path planFile) {
      Context c = locate(SnapPlan.read(planFile), sid, false);
      return c.snapshot(c.state);
   }

   // ---------------------------------------------------------------- machinery

   @FunctionalInterface
   private interface Step {
      void run(Context c, SnapState to);
   }

   private Snapshot run(Op op, String sid, Path planFile, Step step) {
      out.accept(op.command + " started at " + now());
      SnapPlan plan = SnapPlan.read(planFile);
      if (op == Op.VALIDATE && !locatable(plan)) {
         throw new SnapPlan.InvalidException(plan.file(), plan.problems(sid));
      }
      Context c = locate(plan, sid, op != Op.VALIDATE);
      DiskGroup g = c.vm.group(c.dg);
      g.adminLock.lock();
      try {
         c.reload();
         SnapState to = c.state.next(op, sid, plan.file(), c.name);
         step.run(c, to);
         c.save(to);
         LOG.info("{} -o {} for {} snapshot {}: {} -> {}", op.command, op.option, sid, c.name, c.state, to);
         Snapshot result = c.snapshot(to);
         out.accept("The option " + op.option + " has been completed.");
         out.accept(op.command + " ended at " + now());
         return result;
      } finally {
         g.adminLock.unlock();
      }
   }

   private static boolean locatable(SnapPlan plan) {
      return plan.problems(null).stream().map(Problem::field).noneMatch(
            f -> f.equals(SnapPlan.VOLUME_ROOT) || f.equals(SnapPlan.PRIMARY_DG) || f.equals(SnapPlan.SNAPSHOT_NAME))
            && plan.root() != null && plan.diskGroup() != null && plan.snapshotName() != null;
   }

   private static Context locate(SnapPlan plan, String sid, boolean strict) {
      if (strict && !sid.equals(plan.database())) {
         throw new VolumeException("Database " + sid + " (-S) is not the snapplan's PRIMARY_DB (" + plan.database()
               + ") in " + plan.file() + "; name the database of the snapplan, or use its own snapplan");
      }
      if (!locatable(plan)) {
         throw new VolumeException("Snapplan " + plan.file() + " does not name a volume root, disk group and snapshot"
               + " that exist. Validate it: " + Op.VALIDATE.invocation(sid, plan.file()));
      }
      return new Context(plan);
   }

   /** Problems that depend on what the snapshot already is. */
   private static List<Problem> stateProblems(Context c) {
      List<Problem> out = new ArrayList<>();
      if (c.state == SnapState.NONE || c.state == SnapState.VALIDATED) {
         for (String v : c.plan.volumes()) {
            if (c.vm.volumeExists(c.dg, c.plan.snapshotVolume(v))) {
               out.add(new Problem(SnapPlan.SNAPSHOT_VOL_PREFIX, "snapshot volume " + c.plan.snapshotVolume(v)
                     + " already exists in " + c.dg + "; choose another prefix or delete that volume"));
            }
         }
      } else if (!c.plan.volumes().equals(c.volumes())) {
         out.add(new Problem(SnapPlan.VOLUMES, "snapshot " + c.name + " was taken of " + c.volumes()
               + "; keep those volumes while it exists"));
      } else if (!c.plan.volumes().stream().map(c.plan::snapshotVolume).collect(Collectors.toList())
            .equals(c.snapshotVolumes())) {
         out.add(new Problem(SnapPlan.SNAPSHOT_VOL_PREFIX, "snapshot " + c.name + " lives on " + c.snapshotVolumes()
               + "; keep that prefix while it exists"));
      }
      return out;
   }

   private static void requireNotClustered(Context c) {
      boolean clustered = Boolean.parseBoolean(c.record.getProperty("clustered", "false")) || c.plan.clustered();
      if (clustered) {
         throw new VolumeException("Reverse resynchronization is not supported in clustered configurations"
               + " (CLUSTERED=yes in " + c.plan.file() + "). Restore a clustered database from the clone instead:"
               + " mount it with vmclonedb -o mount and copy the data back.");
      }
   }

   private static void requireClosed(Context c, List<String> volumes, String why) {
      for (String v : volumes) {
         if (c.vm.volumeExists(c.dg, v) && c.vm.inUse(c.dg, v)) {
            int n = c.vm.group(c.dg).requireVolume(v).openChannels();
            throw new VolumeException("A database on volume " + c.dg + "/" + v + " is open (" + n + " open file"
                  + (n == 1 ? "" : "s") + ") and " + why + ". Close every connection to it (or run SHUTDOWN) and"
                  + " retry.");
         }
      }
   }

   /**
    * Takes the volumes while the database on them is quiet. A volume snapshot is always crash-consistent (it falls
    * between two writes), but H2 does not recover every such instant to a transaction boundary: its background store
    * can persist a version collected while other sessions were changing maps, and the image then opens with half a
    * transaction (reproduced with H2 alone on its own in-memory file system). So in online mode, when the database
    * is open in this process, the snapshot is taken as a hot backup would be: exclusive mode holds every other
    * session at its next statement, we wait until none is inside one, CHECKPOINT stores a version no statement was
    * changing, and only then are the volumes taken. Instant mode takes them as they are (crash-consistent only).
    */
   private void copyQuiesced(Context c, String dbVol, Map<String, String> pairs) {
      if (c.plan.mode() != SnapPlan.Mode.ONLINE || dbVol == null || !c.vm.inUse(c.dg, dbVol)) {
         c.vm.copyVolumes(c.dg, pairs);
         return;
      }
      String url = c.vm.jdbcUrl(c.dg, dbVol, c.plan.database());
      try (Connection conn = connect(url, c.plan); Statement st = conn.createStatement()) {
         st.execute("SET EXCLUSIVE 1");
         try {
            awaitIdleSessions(st, c);
            st.execute("CHECKPOINT");
            c.vm.copyVolumes(c.dg, pairs);
         } finally {
            st.execute("SET EXCLUSIVE 0");
         }
      } catch (SQLException e) {
         throw new VolumeException("The running database " + c.plan.database() + " on " + c.dg + "/" + dbVol
               + " could not be quiesced for an online snapshot (" + e.getMessage() + "); check DB_USER and"
               + " DB_PASSWORD (an admin user) in " + c.plan.file() + ", or use SNAPSHOT_MODE=instant", e);
      }
   }

   private static final long QUIESCE_TIMEOUT_MS = 30_000;

   /**
    * Waits until no other session is inside a statement, except one waiting for a row lock (its holder is parked at
    * its next statement, so it changes nothing until it times out). Idle three checks in a row, so that a session
    * that passed the exclusive-mode check just before it was set has had time to show its statement.
    */
   private static void awaitIdleSessions(Statement st, Context c) throws SQLException {
      long deadline = System.currentTimeMillis() + QUIESCE_TIMEOUT_MS;
      int idleChecks = 0;
      while (idleChecks < 3) {
         try (ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM INFORMATION_SCHEMA.SESSIONS"
               + " WHERE SESSION_ID <> SESSION_ID() AND EXECUTING_STATEMENT IS NOT NULL AND BLOCKER_ID IS NULL")) {
            rs.next();
            idleChecks = rs.getLong(1) == 0 ? idleChecks + 1 : 0;
         }
         if (System.currentTimeMillis() > deadline) {
            throw new VolumeException("The database " + c.plan.database() + " did not become quiet within "
                  + QUIESCE_TIMEOUT_MS + " ms for an online snapshot (a statement is still running); retry, or use"
                  + " SNAPSHOT_MODE=instant");
         }
         try {
            Thread.sleep(5);
         } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VolumeException("Interrupted while quiescing " + c.plan.database() + " for a snapshot", e);
         }
      }
   }

   /** Reads the change-log position from a throwaway copy of the image, so the snapshot itself stays untouched. */
   private Long readPosition(Context c, String snapVol) {
      String probe = ".probe." + snapVol;
      if (c.vm.volumeExists(c.dg, probe)) {
         c.vm.deleteVolume(c.dg, probe);
      }
      c.vm.copyVolumes(c.dg, Map.of(snapVol, probe));
      try (Connection conn = connect(c.vm.jdbcUrl(c.dg, probe, c.plan.database()), c.plan)) {
         return position(conn);
      } catch (SQLException e) {
         throw new VolumeException("The snapshot image of " + c.plan.database() + " on " + snapVol + " does not open"
               + " as a database (" + e.getMessage() + "); check DB_USER and DB_PASSWORD in " + c.plan.file(), e);
      } finally {
         c.vm.deleteVolume(c.dg, probe);
      }
   }

   /** {@code COALESCE(MAX(seq), 0)} of {@code replkit.rk_commit}, or null when the database has no change log. */
   static Long position(Connection conn) throws SQLException {
      String schema = null;
      String table = null;
      String column = null;
      try (Statement st = conn.createStatement();
           ResultSet rs = st.executeQuery("SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME FROM INFORMATION_SCHEMA.COLUMNS"
                 + " WHERE UPPER(TABLE_SCHEMA) = 'REPLKIT' AND UPPER(TABLE_NAME) = 'RK_COMMIT'"
                 + " AND UPPER(COLUMN_NAME) = 'SEQ'")) {
         if (rs.next()) {
            schema = rs.getString(1);
            table = rs.getString(2);
            column = rs.getString(3);
         }
      }
      if (schema == null) {
         return null;
      }
      try (Statement st = conn.createStatement();
           ResultSet rs = st.executeQuery("SELECT COALESCE(MAX(" + quote(column) + "), 0) FROM " + quote(schema) + "."
                 + quote(table))) {
         rs.next();
         return rs.getLong(1);
      }
   }

   private static String quote(String identifier) {
      return '"' + identifier.replace("\"", "\"\"") + '"';
   }

   private static Connection connect(String url, SnapPlan plan) throws SQLException {
      org.h2.Driver.load();
      return DriverManager.getConnection(url + ";IFEXISTS=TRUE", plan.user(), plan.password());
   }

   private void recordImage(Context c, Long position) {
      if (position == null) {
         c.record.remove("position");
      } else {
         c.record.setProperty("position", Long.toString(position));
      }
      c.record.setProperty("takenAt", clock.instant().toString());
   }

   private static String position(Long position) {
      return position == null ? "no ReplKit change log in the image (replkit.rk_commit absent)"
            : "change-log position " + position + " (max replkit.rk_commit.seq in the image)";
   }

   private static String describe(List<String> vols, List<String> snaps) {
      StringBuilder sb = new StringBuilder();
      for (int i = 0; i < vols.size(); i++) {
         sb.append(i > 0 ? ", " : "").append(vols.get(i)).append(" -> ").append(snaps.get(i));
      }
      return sb.toString();
   }

   private static Map<String, String> pairs(List<String> from, List<String> to) {
      Map<String, String> m = new LinkedHashMap<>();
      for (int i = 0; i < from.size(); i++) {
         m.put(from.get(i), to.get(i));
      }
      return m;
   }

   /** Where reverse resync keeps the original volumes until commit or abort (names users cannot take). */
   private static List<String> saved(List<String> vols) {
      return vols.stream().map(v -> ".rr." + v).collect(Collectors.toList());
   }

   private String now() {
      return LocalDateTime.now(clock).format(TIME);
   }

   /** One operation's view: the snapplan, its disk group and the recorded snapshot state. */
   private static final class Context {
      final SnapPlan plan;
      final VolumeManager vm;
      final String dg;
      final String name;
      final Path stateFile;
      Properties record = new Properties();
      SnapState state = SnapState.NONE;

      Context(SnapPlan plan) {
         this.plan = plan;
         this.vm = VolumeManager.open(plan.root());
         this.dg = plan.diskGroup();
         this.name = plan.snapshotName();
         this.stateFile = plan.root().resolve(dg).resolve(name + STATE_SUFFIX);
         reload();
      }

      void reload() {
         try {
            record = Files.exists(stateFile) ? VolumeManager.load(stateFile) : new Properties();
         } catch (IOException e) {
            throw new UncheckedIOException("Cannot read snapshot state " + stateFile, e);
         }
         state = SnapState.valueOf(record.getProperty("state", SnapState.NONE.name()));
      }

      void save(SnapState to) {
         record.setProperty("state", to.name());
         try {
            VolumeManager.writeAtomically(stateFile, VolumeManager.store(record, "ReplKit snapshot " + name));
         } catch (IOException e) {
            throw new UncheckedIOException("Cannot write snapshot state " + stateFile, e);
         }
      }

      List<String> volumes() {
         return list("volumes");
      }

      List<String> snapshotVolumes() {
         return list("snapshotVolumes");
      }

      Long position() {
         String p = record.getProperty("position");
         return p == null ? null : Long.valueOf(p);
      }

      private List<String> list(String key) {
         String v = record.getProperty(key, "");
         return v.isEmpty() ? List.of() : Arrays.asList(v.split(","));
      }

      Snapshot snapshot(SnapState s) {
         String taken = record.getProperty("takenAt");
         return new Snapshot(name, s, plan.root(), dg, record.getProperty("db", plan.database()), volumes(),
               snapshotVolumes(), record.getProperty("databaseVolume"), position(), taken == null ? null
               : Instant.parse(taken));
      }
   }
}
