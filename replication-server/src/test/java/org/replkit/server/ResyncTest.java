package org.replkit.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.replkit.core.changelog.DumpPoint;
import org.replkit.core.control.ControlDb;
import org.replkit.core.verify.Verify;
import org.replkit.testing.TestDatabases;
import org.replkit.testing.TestDatabases.Kind;
import org.replkit.testing.TestDatabases.TestDb;
import org.replkit.volume.FlashSnap;
import org.replkit.volume.VolumeManager;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Seed 000 step by step (resynchronizing a replicate from a third-party dump), with writes continuing at
 * the primary throughout, for each resync mode of seed 002; verify says identical at the end.
 */
class ResyncTest
{
   static final String RESYNC_LINE = "DSI for %s received and processed Resync Database Marker. Waiting for Dump Marker.";
   static final String DUMP_LINE = "DSI for %s received and processed Dump Marker. DSI is now suspended. Resume after database has been reloaded.";

   /** A dump taken at the primary while it runs, and its loading into the replicate. */
   interface Dump
   {
      /** Takes the dump; returns the dump point read from the dump itself. */
      long take() throws Exception;

      void load() throws Exception;
   }

   // ---- seed 000 with each way of sending the resync marker

   @Test
   void h2VolumeSnapshotResumeResync(@TempDir Path dir) throws Exception
   {
      h2Snapshot(dir, "resume resync");
   }

   @Test
   void h2VolumeSnapshotRaInitForceThenResumeResync(@TempDir Path dir) throws Exception
   {
      h2Snapshot(dir, "ra_init force", "resume resync");
   }

   @Test
   void h2VolumeSnapshotResyncPurgeCalledAsSqlThroughTheDriver(@TempDir Path dir) throws Exception
   {
      h2Snapshot(dir, "sql:{call sp_start_rep_agent(?, ?)}");
   }

   @Test
   void postgresPgDumpResumeResync(@TempDir Path dir) throws Exception
   {
      postgres(dir, "resume resync");
   }

   @Test
   void postgresPgDumpRaInitForceThenResumeResync(@TempDir Path dir) throws Exception
   {
      postgres(dir, "ra_init force", "resume resync");
   }

   @Test
   void postgresPgDumpResyncPurgeCalledAsSqlThroughTheDriver(@TempDir Path dir) throws Exception
   {
      postgres(dir, "sql:EXEC sp_start_rep_agent 'S1', 'resync purge'");
   }

   @Test
   void postgresToMariaDbReplicateHaltedDumpAtEndOfLog(@TempDir Path dir) throws Exception
   {
      try (TestDb primary = TestDatabases.create(Kind.POSTGRESQL, "rs_p"); TestDb replicate = TestDatabases.create(Kind.MARIADB, "rs_m")) {
         final Writer[] writer = new Writer[1];
         // seed 000 step 5 as written: halt activity, dump, and take the end of the log as the dump point
         seed000(dir, primary, replicate, w -> writer[0] = w, new Dump()
         {
            List<int[]> rows;

            @Override
            public long take() throws Exception
            {
               writer[0].pause(true);
               try {
                  rows = rowsOf(primary);
                  return Harness.position(primary); // the end of the log while activity is halted
               }
               finally {
                  writer[0].pause(false);
               }
            }

            @Override
            public void load() throws Exception
            {
               try (Connection c = DriverManager.getConnection(replicate.url())) {
                  c.setAutoCommit(false);
                  try (Statement st = c.createStatement()) {
                     st.execute("DELETE FROM t");
                  }
                  insertRows(c, rows);
                  c.commit();
               }
            }
         }, "resume resync");
      }
   }

   // ---- seed 002 resync init: primary and replicate reloaded from one dump, no dump marker

   @Test
   void resyncInitSuspendsAtTheMarkerAndAppliesOnlyNewTransactions(@TempDir Path dir) throws Exception
   {
      try (TestDb primary = TestDatabases.create(Kind.H2, "ri_p"); TestDb replicate = TestDatabases.create(Kind.H2, "ri_r")) {
         schema(primary);
         final String name = Harness.connection(replicate);
         try (ReplicationServer server = new ReplicationServer(Harness.config(dir, List.of(primary), List.of(replicate)))) {
            server.start();
            writeSome(primary, 50);
            Harness.awaitCaughtUp(primary, "S1", replicate, 30_000, server);
            final Path dump = dir.resolve("same.sql");
            primary.exec("SCRIPT TO '" + dump + "'");
            writeSome(primary, 30); // read by the log reader, then lost when the primary is reloaded
            Harness.awaitCaughtUp(primary, "S1", replicate, 30_000, server);
            server.admin("suspend");
            reloadH2(primary, dump);
            reloadH2(replicate, dump);

            // the truncation point moved behind what the log reader received: a plain resync is refused
            final IllegalStateException moved = assertThrows(IllegalStateException.class, () -> server.admin("resume resync"));
            assertTrue(moved.getMessage().contains("truncation point of primary S1 moved") && moved.getMessage().contains("ra_init force"),
                       moved.getMessage());
            assertTrue(server.admin("sp_start_rep_agent S1, 'resync init'").contains("resync mode (init)"));
            awaitState(server, name, Dsi.State.SUSPENDED);
            assertTrue(server.control().connection(name).error().contains("Resync Database Marker. DSI is now suspended"),
                       server.control().connection(name).error());
            writeSome(primary, 40);
            assertTrue(server.admin("resume connection to " + name).contains("records the reloaded database"));
            Harness.awaitCaughtUp(primary, "S1", replicate, 30_000, server);
            assertIdentical(primary, replicate);
            assertEquals(Dsi.State.ACTIVE, server.dsi(name).state());
         }
      }
   }

   // ---- commands in the wrong state, and a dump marker that came too late

   @Test
   void commandsInTheWrongStateSayTheStateAndWhatIsExpected(@TempDir Path dir) throws Exception
   {
      try (TestDb primary = TestDatabases.create(Kind.H2, "rw_p"); TestDb a = TestDatabases.create(Kind.H2, "rw_a");
           TestDb b = TestDatabases.create(Kind.H2, "rw_b")) {
         schema(primary);
         final String name = Harness.connection(a);
         try (ReplicationServer server = new ReplicationServer(Harness.config(dir, List.of(primary), List.of(a, b)))) {
            server.start();
            writeSome(primary, 5);
            Harness.awaitCaughtUp(primary, "S1", a, 30_000, server);
            assertWrongState(server, "resume resync", "RepAgent for S1 is ACTIVE", "suspend log transfer from S1");
            assertWrongState(server, "ra_init force", "RepAgent for S1 is ACTIVE", "suspend log transfer from S1");
            assertWrongState(server, "resume connection to " + name + " skip to resync marker", "is ACTIVE", "suspend connection to " + name);
            assertWrongState(server, "resume connection to " + name, "is ACTIVE", "SUSPENDED");
            server.admin("suspend");
            assertWrongState(server, "suspend", "RepAgent for S1 is SUSPENDED", "nothing to suspend");
            server.admin("suspend connection to " + name);
            server.admin("resume connection to " + name + " skip to resync marker");
            awaitState(server, name, Dsi.State.SKIP_TO_RESYNC_MARKER);
            assertWrongState(server, "resume connection to " + name + " skip to resync marker", "is SKIP_TO_RESYNC_MARKER", "SUSPENDED");

            // with no position, lr_dump_marker takes the end of the log now
            assertTrue(server.admin("lr_dump_marker").contains("at sequence " + Harness.position(primary) + " of S1"));
            // a resync init expects no dump marker; a dump marker before the reader's position would lose transactions
            server.admin("lr_dump_marker 1");
            assertWrongState(server, "sp_start_rep_agent S1, 'resync init'", "dump marker is pending at sequence 1", "expects none");
            assertWrongState(server, "resume resync", "dump marker at sequence 1 is before sequence", "lr_dump_marker");
            final IllegalArgumentException mode = assertThrows(IllegalArgumentException.class, () -> server.admin("sp_start_rep_agent S1, 'resync now'"));
            assertTrue(mode.getMessage().contains("sp_start_rep_agent(dbname VARCHAR, mode VARCHAR = NULL): mode 'resync now' is not one of 'resync',"
                                                  + " 'resync purge', 'resync init'"), mode.getMessage());
            final IllegalArgumentException site = assertThrows(IllegalArgumentException.class, () -> server.admin("ra_init force NOSUCH"));
            assertTrue(site.getMessage().contains("unknown site 'NOSUCH'"), site.getMessage());

            // abandoning a resync is a plain suspend, and says so
            assertTrue(server.admin("suspend connection to " + name).contains("The resync was abandoned"));
            assertEquals(Dsi.State.SUSPENDED, server.dsi(name).state());
         }
      }
   }

   @Test
   void aDumpMarkerRequestedAfterTheReaderPassedItIsRefusedNotPlacedLate(@TempDir Path dir) throws Exception
   {
      try (TestDb primary = TestDatabases.create(Kind.H2, "rl_p"); TestDb replicate = TestDatabases.create(Kind.H2, "rl_r")) {
         schema(primary);
         try (ReplicationServer server = new ReplicationServer(Harness.config(dir, List.of(primary), List.of(replicate)))) {
            server.start();
            writeSome(primary, 20);
            Harness.awaitCaughtUp(primary, "S1", replicate, 30_000, server);
            server.admin("lr_dump_marker 3");
            final long until = System.currentTimeMillis() + 10_000;
            String error = null;
            while (System.currentTimeMillis() < until && (error == null || !error.contains("lr_dump_marker"))) {
               Thread.sleep(50);
               error = server.control().sites().get(0).error();
            }
            assertNotNull(error);
            assertTrue(error.contains("lr_dump_marker at sequence 3 came after the log reader had passed it"), error);
            assertEquals(-1, server.queue().lastDumpMarker("S1"), "no dump marker was queued");
         }
      }
   }

   // ---- the scenarios

   private void h2Snapshot(Path dir, String... resyncCommands) throws Exception
   {
      final Path root = dir.resolve("vols");
      try (VolumeManager vm = VolumeManager.open(root); TestDb replicate = TestDatabases.create(Kind.H2, "rs_r")) {
         vm.createDiskGroup("PRODdg");
         vm.createVolume("PRODdg", "datavol", 256L << 20);
         final String url = vm.jdbcUrl("PRODdg", "datavol", "PROD") + ";USER=sa;PASSWORD=";
         final Path plan = dir.resolve("snap1.plan");
         Files.writeString(plan, "PRIMARY_DB=PROD\nVOLUME_ROOT=vols\nPRIMARY_DG=PRODdg\nVOLUMES=datavol\nSNAPSHOT_NAME=snap1\nSNAPSHOT_MODE=online\n"
                                 + "CLUSTERED=no\n");
         final TestDb primary = TestDatabases.at(Kind.H2, "PROD", url);
         final FlashSnap flash = new FlashSnap(line -> { });
         final Writer[] writer = new Writer[1];
         seed000(dir, primary, replicate, w -> writer[0] = w, new Dump()
         {
            Path script;

            @Override
            public long take() throws Exception
            {
               flash.validate("PROD", plan);
               final FlashSnap.Snapshot snap;
               writer[0].pause(true); // the online snapshot quiesces H2 for an instant; the writer resumes right after
               try {
                  snap = flash.snapshot("PROD", plan);
               }
               finally {
                  writer[0].pause(false);
               }
               final FlashSnap.Snapshot clone = flash.mountClone("PROD", plan);
               try (Connection c = DriverManager.getConnection(clone.cloneUrl(), "sa", "")) {
                  final long point = DumpPoint.of(c);
                  assertEquals(snap.position(), point, "the snapshot's recorded position is the dump point read from the image");
                  script = dir.resolve("snap.sql");
                  try (Statement st = c.createStatement()) {
                     st.execute("SCRIPT TO '" + script + "'");
                  }
                  return point;
               }
               finally {
                  flash.umountClone("PROD", plan);
               }
            }

            @Override
            public void load() throws Exception
            {
               reloadH2(replicate, script);
            }
         }, resyncCommands);
      }
   }

   private void postgres(Path dir, String... resyncCommands) throws Exception
   {
      try (TestDb primary = TestDatabases.create(Kind.POSTGRESQL, "rs_p"); TestDb replicate = TestDatabases.create(Kind.POSTGRESQL, "rs_r")) {
         final Path file = dir.resolve("pg.sql");
         seed000(dir, primary, replicate, w -> { }, new Dump()
         {
            @Override
            public long take() throws Exception
            {
               // pg_dump reads one snapshot while the writer keeps committing
               run("pg_dump", "-h", "127.0.0.1", "-U", "postgres", "--no-owner", "--no-privileges", "-f", file.toString(), primary.name);
               return DumpPoint.ofFile(file);
            }

            @Override
            public void load() throws Exception
            {
               replicate.exec("DROP SCHEMA public CASCADE", "DROP SCHEMA IF EXISTS replkit CASCADE", "CREATE SCHEMA public");
               run("psql", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-U", "postgres", "-d", replicate.name, "-f", file.toString());
            }
         }, resyncCommands);
      }
   }

   /** Seed 000's eleven steps against a running server with a writer committing at the primary throughout. */
   private void seed000(Path dir, TestDb primary, TestDb replicate, java.util.function.Consumer<Writer> onWriter, Dump dump, String... resyncCommands)
      throws Exception
   {
      schema(primary);
      final String name = Harness.connection(replicate);
      final java.io.PrintStream err = System.err;
      final java.io.ByteArrayOutputStream log = new java.io.ByteArrayOutputStream();
      System.setErr(new java.io.PrintStream(new java.io.OutputStream()
      {
         @Override
         public void write(int b)
         {
            err.write(b);
            synchronized (log) {
               log.write(b);
            }
         }

         @Override
         public void write(byte[] b, int off, int len)
         {
            err.write(b, off, len);
            synchronized (log) {
               log.write(b, off, len);
            }
         }
      }, true));
      try (ReplicationServer server = new ReplicationServer(Harness.config(dir, List.of(primary), List.of(replicate)));
           Writer writer = new Writer(primary)) {
         server.start();
         onWriter.accept(writer);
         writer.start();
         writer.awaitCommits(30);
         Harness.awaitCaughtUp(primary, "S1", replicate, 30_000, server);

         // 1. stop replication processing by the log reader, truncation point untouched
         assertTrue(server.admin("suspend").contains("suspended"));
         // 2.-3. suspend the connection, then discard its queue until the resync marker
         server.admin("suspend connection to " + name);
         assertTrue(server.admin("resume connection to " + name + " skip to resync marker").contains("until the Resync Database Marker"));
         awaitState(server, name, Dsi.State.SKIP_TO_RESYNC_MARKER);
         writer.awaitCommits(20);
         // 4.-5. the dump, and its dump point read from the dump itself while the primary takes writes
         final long point = dump.take();
         writer.awaitCommits(20);
         // 6. the dump marker request at the primary
         final boolean sql = resyncCommands[0].startsWith("sql:");
         if (sql) {
            // as the seed does it: at the primary, through the driver; the request is in the primary's log
            try (Connection c = DriverManager.getConnection(primary.replkitUrl("replkit.site=S1"));
                 PreparedStatement ps = c.prepareStatement("CALL lr_dump_marker(?)")) {
               ps.setLong(1, point);
               try (var rs = ps.executeQuery()) {
                  assertTrue(rs.next());
                  assertEquals(point, rs.getLong(1));
               }
            }
         }
         else {
            final String answer = server.admin("lr_dump_marker " + point);
            assertTrue(answer.startsWith("Dump marker requested at sequence "), answer);
         }
         // 7. resync mode: the resync marker first
         for (String command : resyncCommands) {
            if (command.startsWith("sql:")) {
               final java.util.Properties p = new java.util.Properties();
               p.setProperty("replkit.site", "S1");
               p.setProperty("replkit.control", "jdbc:h2:file:" + dir.resolve("control") + ";DB_CLOSE_ON_EXIT=FALSE");
               try (Connection c = DriverManager.getConnection(primary.replkitUrl(), p);
                    PreparedStatement ps = c.prepareStatement(command.substring(4))) {
                  if (command.contains("?")) {
                     ps.setString(1, "S1");
                     ps.setString(2, "resync purge");
                  }
                  ps.execute();
               }
            }
            else {
               server.admin(command);
            }
         }
         // 8. the connection received the resync marker and rejects committed transactions (the dump marker may follow at once)
         awaitLogged(log, String.format(RESYNC_LINE, name));
         // 9. the dump is applied to the replicate
         dump.load();
         writer.awaitCommits(20);
         // 10. the dump marker suspends the connection
         awaitState(server, name, Dsi.State.SUSPENDED);
         final ControlDb.Conn suspended = server.control().connection(name);
         assertEquals(String.format(DUMP_LINE, name), suspended.error());
         awaitLogged(log, String.format(DUMP_LINE, name));
         final String text;
         synchronized (log) {
            text = log.toString();
         }
         assertTrue(text.indexOf(String.format(RESYNC_LINE, name)) < text.indexOf(String.format(DUMP_LINE, name)), "resync marker, then dump marker");
         assertTrue(suspended.rejected() > 0, "transactions between the log reader's stop and the dump point were rejected");
         assertTrue(Status.render(server.control()).contains("resume connection to " + name + "' records it at S1:"));
         // 11. resume: what followed the dump point is applied
         server.admin("resume connection to " + name);
         writer.awaitCommits(20);
         writer.close();
         Harness.awaitCaughtUp(primary, "S1", replicate, 60_000, server);
         assertIdentical(primary, replicate);
         assertEquals(Dsi.State.ACTIVE, server.dsi(name).state());
         assertNull(writer.failure.get(), () -> "writer failed: " + writer.failure.get());
      }
      finally {
         System.setErr(err);
      }
   }

   static void awaitLogged(java.io.ByteArrayOutputStream log, String line) throws InterruptedException
   {
      final long until = System.currentTimeMillis() + 30_000;
      while (System.currentTimeMillis() < until) {
         synchronized (log) {
            if (log.toString().contains(line)) {
               return;
            }
         }
         Thread.sleep(20);
      }
      fail("not logged: " + line);
   }

   // ---- helpers

   /** Commits single-row inserts and updates through the driver until closed. */
   static final class Writer extends Thread implements AutoCloseable
   {
      final TestDb db;
      final AtomicLong commits = new AtomicLong();
      final AtomicReference<Throwable> failure = new AtomicReference<>();
      private volatile boolean stop;
      private volatile boolean paused;
      private volatile boolean idle;

      Writer(TestDb db)
      {
         super("resync-writer");
         this.db = db;
         setDaemon(true);
      }

      @Override
      public void run()
      {
         try (Connection c = DriverManager.getConnection(db.replkitUrl("replkit.site=S1"));
              PreparedStatement ins = c.prepareStatement("INSERT INTO t (id, v) VALUES (?, ?)");
              PreparedStatement up = c.prepareStatement("UPDATE t SET v = v + 1 WHERE id = ?")) {
            int next = 1000;
            while (!stop) {
               if (paused) {
                  idle = true;
                  Thread.sleep(5);
                  continue;
               }
               idle = false;
               if (ThreadLocalRandom.current().nextBoolean()) {
                  ins.setInt(1, next++);
                  ins.setInt(2, next);
                  ins.executeUpdate();
               }
               else {
                  up.setInt(1, ThreadLocalRandom.current().nextInt(1, 50));
                  up.executeUpdate();
               }
               commits.incrementAndGet();
               Thread.sleep(2);
            }
         }
         catch (Throwable e) {
            failure.set(e);
         }
      }

      void pause(boolean on) throws InterruptedException
      {
         paused = on;
         while (on && !idle && isAlive()) {
            Thread.sleep(2);
         }
      }

      void awaitCommits(long more) throws InterruptedException
      {
         final long target = commits.get() + more;
         final long until = System.currentTimeMillis() + 30_000;
         while (commits.get() < target && System.currentTimeMillis() < until && failure.get() == null) {
            Thread.sleep(5);
         }
         assertNull(failure.get(), () -> "writer failed: " + failure.get());
      }

      @Override
      public void close() throws InterruptedException
      {
         stop = true;
         join(10_000);
      }
   }

   static void schema(TestDb primary) throws SQLException
   {
      try (Connection c = DriverManager.getConnection(primary.replkitUrl("replkit.site=S1")); Statement st = c.createStatement()) {
         st.execute("CREATE TABLE t (id INT PRIMARY KEY, v INT NOT NULL)");
      }
      try (Connection c = DriverManager.getConnection(primary.replkitUrl("replkit.site=S1"))) {
         final List<int[]> rows = new ArrayList<>();
         for (int i = 1; i <= 50; i++) {
            rows.add(new int[] {i, i});
         }
         insertRows(c, rows);
      }
   }

   static void writeSome(TestDb primary, int n) throws SQLException
   {
      try (Connection c = DriverManager.getConnection(primary.replkitUrl("replkit.site=S1"));
           PreparedStatement up = c.prepareStatement("UPDATE t SET v = v + 1 WHERE id = ?")) {
         for (int i = 0; i < n; i++) {
            up.setInt(1, 1 + i % 50);
            up.executeUpdate();
         }
      }
   }

   static void reloadH2(TestDb db, Path script) throws SQLException
   {
      try (Connection c = DriverManager.getConnection(db.url()); Statement st = c.createStatement()) {
         st.execute("DROP ALL OBJECTS");
         st.execute("RUNSCRIPT FROM '" + script + "'");
      }
   }

   static List<int[]> rowsOf(TestDb db) throws SQLException
   {
      final List<int[]> out = new ArrayList<>();
      try (Connection c = DriverManager.getConnection(db.url()); Statement st = c.createStatement();
           var rs = st.executeQuery("SELECT id, v FROM t")) {
         while (rs.next()) {
            out.add(new int[] {rs.getInt(1), rs.getInt(2)});
         }
      }
      return out;
   }

   static void insertRows(Connection c, List<int[]> rows) throws SQLException
   {
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO t (id, v) VALUES (?, ?)")) {
         for (int[] r : rows) {
            ps.setInt(1, r[0]);
            ps.setInt(2, r[1]);
            ps.addBatch();
         }
         ps.executeBatch();
      }
   }

   static void awaitState(ReplicationServer server, String name, Dsi.State state) throws InterruptedException
   {
      final long until = System.currentTimeMillis() + 30_000;
      while (server.dsi(name).state() != state && System.currentTimeMillis() < until) {
         Thread.sleep(20);
      }
      assertEquals(state, server.dsi(name).state(), () -> {
         try {
            return "connection " + name + ": " + server.control().connection(name).error();
         }
         catch (SQLException e) {
            return e.getMessage();
         }
      });
   }

   static void assertWrongState(ReplicationServer server, String command, String... says)
   {
      final IllegalStateException e = assertThrows(IllegalStateException.class, () -> server.admin(command));
      for (String s : says) {
         assertTrue(e.getMessage().contains(s), command + " -> " + e.getMessage());
      }
   }

   static void assertIdentical(TestDb primary, TestDb replicate) throws SQLException
   {
      final Verify.Result r = Harness.verify(primary, replicate, 16, "t");
      assertTrue(r.identical(), String.join("\n", r.report()));
   }

   static void run(String... command) throws Exception
   {
      final Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      final String out = new String(p.getInputStream().readAllBytes());
      assertTrue(p.waitFor(60, TimeUnit.SECONDS));
      assertEquals(0, p.exitValue(), String.join(" ", command) + ": " + out);
   }
}
