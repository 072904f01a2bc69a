package org.replkit.liquibase;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.replkit.core.changelog.ChangeLogSchema;
import org.replkit.core.changelog.Dialect;
import org.replkit.core.control.ControlDb;
import org.replkit.core.copy.CopyProgress;
import org.replkit.core.copy.MasterExport;
import org.replkit.core.copy.Snapshot;
import org.replkit.core.copy.TableCopy;
import org.replkit.server.ServerConfig;
import org.replkit.testing.TestDatabases;
import org.replkit.testing.TestDatabases.Kind;
import org.replkit.testing.TestDatabases.TestDb;

/**
 * Every single change type run by the real Liquibase {@code update} through the ReplKit driver against a running
 * replication server, with its effect checked where the server keeps it (states in the control database, rows at
 * the replicate). Each test adds changesets to its changelog phase by phase, as an operator would, and runs update
 * again; in between, the test does what the seed leaves to other tools (taking and loading a dump).
 */
class LiveChangesTest
{
   @TempDir
   Path dir;

   /**
    * Seed 000 with the single change types, the primary taking writes throughout: suspendLogReader / resumeLogReader,
    * suspendConnection (and its rollback), resumeConnection skipToResyncMarker, dumpMarker, raInitForce, resyncMarker,
    * resumeConnection, verifyReplicas.
    */
   @Test
   void markerChangesRunSeed000StepByStep() throws Exception
   {
      try (TestDb primary = TestDatabases.create(Kind.H2, "lv_p"); TestDb replicate = TestDatabases.create(Kind.H2, "lv_r");
           Live live = Live.start(dir, List.of(Live.site("S1", primary)), List.of(Live.replicate(replicate, "S1")), null)) {
         final String conn = Live.name(replicate);
         // every jdbc:replkit: connection of this process uses the same settings: the first one fixes the database's capture
         final String url = live.liquibaseUrl(primary, "S1");
         Live.table(url);
         Live.awaitCaughtUp(primary, "S1", replicate);
         final Lb lb = new Lb(dir);
         final String[] sets = {
            "<rk:suspendLogReader site=\"S1\"/>",
            "<insert tableName=\"t\"><column name=\"id\" valueNumeric=\"900\"/><column name=\"v\" valueNumeric=\"1\"/></insert>",
            "<rk:resumeLogReader site=\"S1\"/>",
            "<rk:suspendConnection connection=\"" + conn + "\"/>"};

         // the log reader: an ordinary changeset's row waits while it is suspended, and is replicated after the resume
         lb.command("update", url, lb.xml("ops.xml", sets[0], sets[1]));
         assertEquals("SUSPENDED", live.siteState("S1"));
         Thread.sleep(300);
         assertEquals(0, Live.count(replicate, "SELECT COUNT(*) FROM t WHERE id = 900"), "nothing read while the log reader is suspended");
         lb.command("update", url, lb.xml("ops.xml", sets[0], sets[1], sets[2]));
         assertEquals("ACTIVE", live.siteState("S1"));
         Live.awaitCaughtUp(primary, "S1", replicate);
         assertEquals(1, Live.count(replicate, "SELECT COUNT(*) FROM t WHERE id = 900"), "the changelog's own insert was captured and replicated");

         // suspendConnection, and its rollback (resumeConnection)
         lb.command("update", url, lb.xml("ops.xml", sets));
         assertEquals("SUSPENDED", live.connection(conn).state());
         lb.command("rollbackCount", url, "ops.xml", "count", 1);
         assertEquals("ACTIVE", live.connection(conn).state(), "the rollback of suspendConnection resumed it");

         try (Live.Writer writer = new Live.Writer(url, 1000)) {
            writer.awaitCommits(20);
            // seed 000 steps 1-3
            lb.command("update", url, lb.xml("resync.xml", "<rk:suspendLogReader site=\"S1\"/>", "<rk:suspendConnection connection=\"" + conn + "\"/>",
                                             "<rk:resumeConnection connection=\"" + conn + "\" skipToResyncMarker=\"true\"/>"));
            assertEquals("SUSPENDED", live.siteState("S1"));
            assertEquals(ResyncFromDumpChange.SKIP_TO_RESYNC_MARKER, live.connection(conn).state());
            writer.awaitCommits(20);

            // steps 4-5: the dump (a snapshot of the primary while it takes writes) and its dump point
            final Path dump = dir.resolve("dump");
            final long point;
            try (Connection c = primary.connect(); Connection probe = primary.connect();
                 Snapshot s = Snapshot.open(c, new ChangeLogSchema(Dialect.H2, "replkit"), probe, 10_000)) {
               point = TableCopy.export(s, s.capturedTables(), dump, CopyProgress.NONE).position();
            }
            writer.awaitCommits(20);

            // steps 6-7: dumpMarker, raInitForce, resyncMarker; the connection receives the resync marker (step 8)
            lb.command("update", url, lb.xml("resync.xml", "<rk:suspendLogReader site=\"S1\"/>", "<rk:suspendConnection connection=\"" + conn + "\"/>",
                                             "<rk:resumeConnection connection=\"" + conn + "\" skipToResyncMarker=\"true\"/>",
                                             "<rk:dumpMarker position=\"" + point + "\" site=\"S1\"/>", "<rk:raInitForce site=\"S1\"/>",
                                             "<rk:resyncMarker site=\"S1\"/>"));
            live.awaitConnection(conn, "past the resync marker", c -> c.state().equals(ResyncFromDumpChange.WAIT_FOR_DUMP_MARKER) || c.reloaded() != null);
            assertEquals("ACTIVE", live.siteState("S1"));

            // step 9: the dump is loaded; step 10: the connection suspended itself at the dump marker
            try (Connection c = replicate.connect()) {
               TableCopy.load(dump, c, null, CopyProgress.NONE);
            }
            live.awaitConnection(conn, "SUSPENDED at the dump marker", c -> c.state().equals("SUSPENDED") && c.reloaded() != null);
            final ControlDb.Conn atMarker = live.connection(conn);
            assertEquals("DSI for " + conn + " received and processed Dump Marker. DSI is now suspended. Resume after database has been reloaded.",
                         atMarker.error());
            assertEquals("S1:" + point, atMarker.reloaded(), "the dump marker came right after the dump point");
            assertTrue(atMarker.rejected() > 0, "transactions before the dump point were rejected");

            // step 11
            lb.command("update", url, lb.xml("resync2.xml", "<rk:resumeConnection connection=\"" + conn + "\"/>"));
            writer.awaitCommits(20);
         }
         Live.awaitCaughtUp(primary, "S1", replicate);
         assertEquals("ACTIVE", live.connection(conn).state());
         lb.command("update", url, lb.xml("check.xml", "<rk:verifyReplicas sourceUrl=\"" + primary.url() + "\" targetUrl=\"" + replicate.url()
                                                       + "\" tables=\"t\"/>"));
         // verifyReplicas fails its changeset when the two differ: shown by changing the replicate behind ReplKit's back
         replicate.exec("UPDATE t SET v = -1 WHERE id = 7");
         final Exception differs = assertThrows(Exception.class, () -> lb.command("update", url, lb.xml("check2.xml",
               "<rk:verifyReplicas sourceUrl=\"" + primary.url() + "\" targetUrl=\"" + replicate.url() + "\" tables=\"t\"/>")));
         assertTrue(Lb.messages(differs).contains("differ"), Lb.messages(differs));
      }
   }

   /**
    * Seed 004's DBMS_OFFLINE_OG steps as single change types, each run at the site the seed names (the Liquibase
    * connection's replkit.site is the caller); the group's DBMS_REPCAT calls are ordinary sql changesets, also routed.
    */
   @Test
   void offlineOgChangesInstantiateANewMasterStepByStep() throws Exception
   {
      try (TestDb ca = TestDatabases.create(Kind.H2, "lv_ca"); TestDb ny = TestDatabases.create(Kind.H2, "lv_ny");
           Live live = Live.start(dir, List.of(Live.site("D7CA", ca), Live.site("D7NY", ny)),
                                  List.of(Live.master(ca, "D7CA", "D7NY"), Live.master(ny, "D7NY", "D7CA")), null)) {
         final String atCa = live.liquibaseUrl(ca, "D7CA");
         final String atNy = live.liquibaseUrl(ny, "D7NY");
         Live.table(atCa);
         final Lb lb = new Lb(dir);
         final String group = "gname=\"SPROCKET\" newSite=\"D7NY\"";
         final String[] ca1 = {
            "<sql>CALL DBMS_REPCAT.CREATE_MASTER_REPGROUP(gname => 'SPROCKET')</sql>",
            "<sql>CALL DBMS_REPCAT.CREATE_MASTER_REPOBJECT(sname => 'PUBLIC', oname => 'T', type => 'TABLE', gname => 'SPROCKET')</sql>",
            "<sql>CALL DBMS_REPCAT.ADD_MASTER_DATABASE(gname => 'SPROCKET', master => 'D7NY')</sql>",
            "<sql>CALL DBMS_REPCAT.SUSPEND_MASTER_ACTIVITY(gname => 'SPROCKET')</sql>",
            "<rk:beginInstantiation " + group + "/>"};
         lb.command("update", atCa, lb.xml("ca.xml", ca1));
         assertEquals("QUIESCED", live.server.control().group("SPROCKET").state());
         assertEquals("INSTANTIATING", masters(live).get("D7NY"));

         // step 4 (replkit export): the group's table with the position of every master
         final Path export = dir.resolve("export");
         try (Connection c = ca.connect()) {
            MasterExport.export(c, null, "D7CA", List.of(TableCopy.find(c, "PUBLIC", "T")), export, CopyProgress.NONE);
         }
         lb.command("update", atCa, lb.xml("ca.xml", append(ca1, "<rk:resumeSubsetOfMasters " + group + "/>")));
         assertEquals("NORMAL", live.server.control().group("SPROCKET").state());
         try (Connection c = java.sql.DriverManager.getConnection(atCa); var st = c.createStatement()) {
            st.executeUpdate("UPDATE t SET v = v + 100 WHERE id <= 10"); // after the export: queued for D7NY
         }

         // steps 6-8 at the new site
         final String[] ny1 = {"<rk:beginLoad " + group + "/>"};
         lb.command("update", atNy, lb.xml("ny.xml", ny1));
         assertEquals("LOADING", masters(live).get("D7NY"));
         try (Connection c = ny.connect()) {
            MasterExport.load(export, c, CopyProgress.NONE);
         }
         lb.command("update", atNy, lb.xml("ny.xml", append(ny1, "<rk:endLoad " + group + "/>")));
         assertEquals("LOADED", masters(live).get("D7NY"));
         assertEquals("HELD_FOR_INSTANTIATION", live.connection(Live.name(ny)).state(), "nothing sent to the new site yet");

         // step 9 at the master definition site: the queued update is delivered, exactly once
         lb.command("update", atCa, lb.xml("ca.xml", append(append(ca1, "<rk:resumeSubsetOfMasters " + group + "/>"), "<rk:endInstantiation " + group + "/>")));
         assertEquals("ACTIVE", masters(live).get("D7NY"));
         live.awaitConnection(Live.name(ny), "ACTIVE", c -> c.state().equals("ACTIVE"));
         Live.awaitCaughtUp(ca, "D7CA", ny);
         assertEquals(ca.rows("t", "id"), ny.rows("t", "id"));
         assertEquals(10, Live.count(ny, "SELECT COUNT(*) FROM t WHERE v > 100"));
         for (ControlDb.Conn c : live.server.control().connections()) {
            assertEquals("ACTIVE", c.state(), c.name() + ": " + c.error()); // Liquibase's own tables at each site replicated nothing
         }
      }
   }

   /** Seed 003's commands as change types: hotstandbyCopy (through a directory), hotstandbyConnect, hotstandbyState. */
   @Test
   void hotstandbyChangesCopyAndConnectThePair() throws Exception
   {
      try (TestDb primary = TestDatabases.create(Kind.H2, "lv_hp"); TestDb secondary = TestDatabases.create(Kind.H2, "lv_hs")) {
         secondary.exec("SELECT 1");
         final ServerConfig.Standby hsb = new ServerConfig.Standby("hsb", null, Live.db(primary), Live.db(secondary), 100_000, 64L << 20,
                                                                   dir.resolve("hsb-copy"), 10, 60, 200);
         try (Live live = Live.start(dir, List.of(), List.of(), hsb)) {
            final String url = live.liquibaseUrl(primary, "HP");
            Live.table(url);
            final Lb lb = new Lb(dir);
            awaitPair(live, "STANDALONE");
            lb.command("update", url, lb.xml("hsb.xml", "<rk:hotstandbyCopy/>", "<rk:hotstandbyConnect/>", "<rk:hotstandbyState/>"));
            assertEquals("PRIMARY ACTIVE", firstLine(live));
            assertNotNull(java.nio.file.Files.list(dir.resolve("hsb-copy")).findFirst().orElse(null), "the copy went through its directory");
            try (Connection c = java.sql.DriverManager.getConnection(url); var st = c.createStatement()) {
               st.executeUpdate("UPDATE t SET v = v * 2 WHERE id > 25");
            }
            final long until = System.currentTimeMillis() + 30_000;
            while (!primary.rows("t", "id").equals(secondary.rows("t", "id")) && System.currentTimeMillis() < until) {
               Thread.sleep(50);
            }
            assertEquals(primary.rows("t", "id"), secondary.rows("t", "id"), "the active pair ships each commit to the secondary");
         }
      }
   }

   private static void awaitPair(Live live, String state) throws InterruptedException
   {
      final long until = System.currentTimeMillis() + 20_000;
      while (!firstLine(live).equals(state) && System.currentTimeMillis() < until) {
         Thread.sleep(20);
      }
      assertEquals(state, firstLine(live));
   }

   private static String firstLine(Live live)
   {
      return live.server.standby().pair().describe().lines().findFirst().orElse("");
   }

   private static Map<String, String> masters(Live live) throws Exception
   {
      return live.server.control().groupMasters("SPROCKET");
   }

   private static String[] append(String[] sets, String more)
   {
      final String[] out = java.util.Arrays.copyOf(sets, sets.length + 1);
      out[sets.length] = more;
      return out;
   }
}
