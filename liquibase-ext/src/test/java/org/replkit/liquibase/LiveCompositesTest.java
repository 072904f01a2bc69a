package org.replkit.liquibase;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.replkit.core.control.ControlDb;
import org.replkit.server.ServerConfig;
import org.replkit.testing.TestDatabases;
import org.replkit.testing.TestDatabases.Kind;
import org.replkit.testing.TestDatabases.TestDb;

/**
 * The composites end to end under the real Liquibase {@code update}, through the ReplKit driver, against a running
 * replication server, with the primary (or the existing master) taking writes throughout.
 */
class LiveCompositesTest
{
   @TempDir
   Path dir;

   /**
    * Seed 000 as one changeset. On H2 the first run also stops at a failing step (the dump directory holds a file of
    * someone else's), naming it; the rerun continues there: steps 1-3 are not sent again (they would be refused, as
    * the log reader and the connection are no longer in the states they expect).
    */
   @ParameterizedTest
   @EnumSource(value = Kind.class, names = {"H2", "POSTGRESQL"})
   void resyncFromDumpWhileThePrimaryTakesWrites(Kind kind) throws Exception
   {
      try (TestDb primary = TestDatabases.create(kind, "lc_p"); TestDb replicate = TestDatabases.create(kind, "lc_r");
           Live live = Live.start(dir, List.of(Live.site("S1", primary)), List.of(Live.replicate(replicate, "S1")), null)) {
         final String conn = Live.name(replicate);
         final String url = live.liquibaseUrl(primary, "S1");
         Live.table(url);
         Live.awaitCaughtUp(primary, "S1", replicate);
         final Path dump = Files.createDirectories(dir.resolve("dump"));
         final boolean failFirst = kind == Kind.H2;
         if (failFirst) {
            Files.writeString(dump.resolve("notes.txt"), "not part of any dump");
         }
         final Lb lb = new Lb(dir);
         final String changelog = lb.xml("resync.xml", "<rk:resyncFromDump site=\"S1\" connection=\"" + conn + "\" primaryUrl=\"" + attr(url) + "\""
                                                       + " replicateUrl=\"" + attr(replicate.url()) + "\" controlUrl=\"" + attr(live.controlUrl()) + "\""
                                                       + " dumpDir=\"" + dump + "\" timeoutSeconds=\"60\"/>");
         try (Live.Writer writer = new Live.Writer(url, 1000)) {
            writer.awaitCommits(20);
            if (failFirst) {
               final Exception e = assertThrows(Exception.class, () -> lb.command("update", url, changelog));
               assertTrue(Lb.messages(e).contains("resyncFromDump step 4 of 10 (4-5 dump and its dump point, at the primary S1 ")
                          && Lb.messages(e).contains("export directory " + dump + " is not empty and holds no earlier ReplKit export")
                          && Lb.messages(e).contains("run update again to continue at step 4."), Lb.messages(e));
               assertEquals(List.of("0 DONE", "1 DONE", "2 DONE", "3 FAILED"), progress(primary));
               assertEquals("SUSPENDED", live.siteState("S1"));
               assertEquals(ResyncFromDumpChange.SKIP_TO_RESYNC_MARKER, live.connection(conn).state());
               writer.awaitCommits(20);
               Files.delete(dump.resolve("notes.txt"));
            }
            lb.command("update", url, changelog);
            assertEquals(List.of("0 DONE", "1 DONE", "2 DONE", "3 DONE", "4 DONE", "5 DONE", "6 DONE", "7 DONE", "8 DONE", "9 DONE"), progress(primary));
            final ControlDb.Conn resumed = live.connection(conn);
            assertEquals("ACTIVE", resumed.state(), resumed.error());
            assertTrue(resumed.rejected() > 0, "transactions between the log reader's stop and the dump point were rejected");
            writer.awaitCommits(30); // applied after the dump point
         }
         Live.awaitCaughtUp(primary, "S1", replicate);
         lb.command("update", url, lb.xml("check.xml", "<rk:verifyReplicas sourceUrl=\"" + attr(primary.url()) + "\" targetUrl=\"" + attr(replicate.url())
                                                       + "\" tables=\"t\"/>"));
         assertEquals(primary.rows("t", "id"), replicate.rows("t", "id"));
      }
   }

   /**
    * Seed 004 as one changeset after ordinary ones that create the table and the group (routed DBMS_REPCAT calls):
    * the group's tables come from the control database; the master definition site takes writes throughout, refused
    * only while quiesced. At the end both masters are identical and replicate both ways.
    */
   @ParameterizedTest
   @EnumSource(value = Kind.class, names = {"H2", "POSTGRESQL"})
   void offlineInstantiationWhileTheMasterDefinitionSiteTakesWrites(Kind kind) throws Exception
   {
      try (TestDb ca = TestDatabases.create(kind, "lc_ca"); TestDb ny = TestDatabases.create(kind, "lc_ny");
           Live live = Live.start(dir, List.of(Live.site("D7CA", ca), Live.site("D7NY", ny)),
                                  List.of(Live.master(ca, "D7CA", "D7NY"), Live.master(ny, "D7NY", "D7CA")), null)) {
         final String atCa = live.liquibaseUrl(ca, "D7CA");
         final String atNy = live.liquibaseUrl(ny, "D7NY");
         final Lb lb = new Lb(dir);
         final List<String> sets = new ArrayList<>(List.of(
               "<createTable tableName=\"t\"><column name=\"id\" type=\"int\"><constraints primaryKey=\"true\"/></column>"
               + "<column name=\"v\" type=\"int\"><constraints nullable=\"false\"/></column></createTable>",
               "<insert tableName=\"t\"><column name=\"id\" valueNumeric=\"1\"/><column name=\"v\" valueNumeric=\"1\"/></insert>",
               "<sql>CALL DBMS_REPCAT.CREATE_MASTER_REPGROUP(gname => 'SPROCKET')</sql>",
               "<sql>CALL DBMS_REPCAT.CREATE_MASTER_REPOBJECT(sname => 'PUBLIC', oname => 'T', type => 'TABLE', gname => 'SPROCKET')</sql>"));
         lb.command("update", atCa, lb.xml("sprocket.xml", sets.toArray(String[]::new)));
         try (Live.Writer writer = new Live.Writer(atCa, 1000)) {
            writer.awaitCommits(20);
            sets.add("<rk:offlineInstantiation gname=\"SPROCKET\" newSite=\"D7NY\" masterDefinitionUrl=\"" + attr(atCa) + "\" newSiteUrl=\"" + attr(atNy)
                     + "\" exportDir=\"" + dir.resolve("export") + "\"/>");
            lb.command("update", atCa, lb.xml("sprocket.xml", sets.toArray(String[]::new)));
            assertEquals("ACTIVE", live.server.control().groupMasters("SPROCKET").get("D7NY"));
            assertEquals("NORMAL", live.server.control().group("SPROCKET").state());
            writer.awaitCommits(30); // delivered to D7NY after what the export held
            assertTrue(writer.refused.get() > 0, "writes were refused while the group was quiesced");
         }
         try (Connection c = DriverManager.getConnection(atNy); Statement st = c.createStatement()) {
            st.executeUpdate("UPDATE t SET v = v + 1000 WHERE id = 1"); // and back from the new master
         }
         Live.awaitCaughtUp(ca, "D7CA", ny);
         Live.awaitCaughtUp(ny, "D7NY", ca);
         assertEquals(ca.rows("t", "id"), ny.rows("t", "id"));
         assertEquals(1, Live.count(ca, "SELECT COUNT(*) FROM t WHERE id = 1 AND v = 1001"));
         for (ControlDb.Conn c : live.server.control().connections()) {
            assertEquals("ACTIVE", c.state(), c.name() + ": " + c.error());
         }
      }
   }

   /**
    * Seed 003: a new secondary by full copy (netcopy), then, after an outage in which the primary kept committing,
    * by catchup; each synchronization ends PRIMARY ACTIVE with the two databases verified identical.
    */
   @Test
   void hotstandbySyncByFullCopyThenByCatchup() throws Exception
   {
      try (TestDb primary = TestDatabases.create(Kind.H2, "lc_hp"); TestDb secondary = TestDatabases.create(Kind.H2, "lc_hs")) {
         secondary.exec("SELECT 1");
         final ServerConfig.Standby hsb = new ServerConfig.Standby("hsb", null, Live.db(primary), Live.db(secondary), 100_000, 64L << 20,
                                                                   dir.resolve("hsb-copy"), 10, 60, 200);
         try (Live live = Live.start(dir, List.of(), List.of(), hsb)) {
            final String url = live.liquibaseUrl(primary, "HP");
            Live.table(url);
            final Lb lb = new Lb(dir);
            final String sync = "<rk:hotstandbySync primaryUrl=\"" + attr(url) + "\" secondaryUrl=\"" + attr(secondary.url()) + "\" timeoutSeconds=\"60\"";
            lb.command("update", url, lb.xml("hsb.xml", sync + " mode=\"netcopy\"/>"));
            assertEquals("PRIMARY ACTIVE", pairState(live));
            assertEquals(primary.rows("t", "id"), secondary.rows("t", "id"));

            assertTrue(live.server.admin("hotstandby disconnect").contains("PRIMARY ALONE"));
            try (Live.Writer writer = new Live.Writer(url, 1000)) {
               writer.awaitCommits(100); // kept by the primary for the secondary
            }
            lb.command("update", url, lb.xml("hsb.xml", sync + " mode=\"netcopy\"/>", sync + "/>"));
            assertEquals("PRIMARY ACTIVE", pairState(live));
            assertTrue(live.server.standby().pair().describe().contains("why: connected: catchup done"), live.server.standby().pair().describe());
            assertEquals(primary.rows("t", "id"), secondary.rows("t", "id"));
         }
      }
   }

   private static String pairState(Live live)
   {
      return live.server.standby().pair().describe().lines().findFirst().orElse("");
   }

   /** The steps recorded in replkit_progress at the Liquibase target: "index STATE". */
   private static List<String> progress(TestDb db) throws Exception
   {
      final List<String> out = new ArrayList<>();
      try (Connection c = db.connect(); Statement st = c.createStatement(); var rs = st.executeQuery("SELECT step, state FROM replkit_progress ORDER BY step")) {
         while (rs.next()) {
            out.add(rs.getInt(1) + " " + rs.getString(2));
         }
      }
      return out;
   }

   /** A value inside an XML attribute. */
   static String attr(String s)
   {
      return s.replace("&", "&amp;").replace("\"", "&quot;").replace("<", "&lt;");
   }
}
