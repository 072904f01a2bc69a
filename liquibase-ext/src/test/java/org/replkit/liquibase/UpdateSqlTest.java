package org.replkit.liquibase;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.replkit.testing.TestDatabases;
import org.replkit.testing.TestDatabases.Kind;
import org.replkit.testing.TestDatabases.TestDb;

/**
 * update-sql (the real command) prints what would run, as statements and comments only, and does nothing: not to
 * the Liquibase database, nor to any database, directory or volume a composite names.
 */
class UpdateSqlTest
{
   /** rk/all.xml's changesets in order: the contract texts. */
   static final List<String> ALL = List.of(
         "CALL lr_dump_marker(42)",
         "CALL lr_dump_marker()",
         "CALL lr_dump_marker(position => 42, site => 'pdb')",
         "EXEC sp_start_rep_agent 'pdb', 'resync'",
         "EXEC sp_start_rep_agent 'pdb', 'resync purge'",
         "EXEC sp_start_rep_agent 'pdb', 'resync init'",
         "suspend log transfer from pdb",
         "resume log transfer from pdb",
         "ra_init force pdb",
         "suspend connection to ds.db",
         "resume connection to ds.db",
         "resume connection to ds.db skip to resync marker",
         "resume connection to ds.db skip transaction",
         "BEGIN DBMS_OFFLINE_OG.BEGIN_INSTANTIATION(gname => 'SPROCKET', new_site => 'D7NY.BIGWHEEL.COM'); END;",
         "BEGIN DBMS_OFFLINE_OG.RESUME_SUBSET_OF_MASTERS(gname => 'SPROCKET', new_site => 'D7NY.BIGWHEEL.COM'); END;",
         "BEGIN DBMS_OFFLINE_OG.BEGIN_LOAD(gname => 'SPROCKET', new_site => 'D7NY.BIGWHEEL.COM'); END;",
         "BEGIN DBMS_OFFLINE_OG.END_LOAD(gname => 'SPROCKET', new_site => 'D7NY.BIGWHEEL.COM'); END;",
         "BEGIN DBMS_OFFLINE_OG.END_INSTANTIATION(gname => 'SPROCKET', new_site => 'D7NY.BIGWHEEL.COM'); END;",
         "ADMIN COMMAND 'hotstandby connect'",
         "ADMIN COMMAND 'hotstandby copy'",
         "ADMIN COMMAND 'hotstandby netcopy'",
         "ADMIN COMMAND 'hotstandby state'");

   @TempDir
   Path dir;

   @Test
   void h2PrintsEveryContractTextAndChangesNothing() throws Exception
   {
      try (TestDb db = TestDatabases.create(Kind.H2, "lbsql")) {
         final String out = new Lb(dir).command("updateSql", db.url(), "rk/all.xml");
         assertChangesets(out, "rk/all.xml");
         assertEquals(List.of(), tables(db, "SELECT TABLE_SCHEMA || '.' || TABLE_NAME FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA <> 'INFORMATION_SCHEMA'"));
      }
   }

   @Test
   void postgresqlPrintsEveryContractTextAndChangesNothing() throws Exception
   {
      try (TestDb db = TestDatabases.create(Kind.POSTGRESQL, "lbsql")) {
         final String out = new Lb(dir).command("updateSql", db.url(), "rk/all.yaml");
         assertChangesets(out, "rk/all.yaml");
         assertEquals(List.of(), tables(db, "SELECT table_schema || '.' || table_name FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema')"));
      }
   }

   /** Each changeset's header followed by exactly its statement and the DATABASECHANGELOG insert. */
   private static void assertChangesets(String out, String file)
   {
      final String nl = System.lineSeparator();
      for (int i = 0; i < ALL.size(); i++) {
         final String expected = "-- Changeset " + file + "::" + (i + 1) + "::rk" + nl + ALL.get(i) + (ALL.get(i).endsWith(";") ? "" : ";") + nl + nl + "INSERT INTO ";
         assertTrue(out.contains(expected), "changeset " + (i + 1) + ": expected\n" + expected + "\nin\n" + out);
      }
   }

   @Test
   void compositesPrintTheirStepsAndTouchNothing() throws Exception
   {
      final Path sites = Files.createDirectories(dir.resolve("sites"));
      final String h2 = "jdbc:replkit:h2:" + sites.toAbsolutePath() + "/";
      final Path plan = dir.resolve("snapplan");
      Files.writeString(plan, "PRIMARY_DB=PROD\nVOLUME_ROOT=vols\nPRIMARY_DG=PRODdg\nVOLUMES=datavol\nSNAPSHOT_NAME=snap1\n");
      final Lb lb = new Lb(dir);
      final String changelog = lb.xml("composites.xml",
            "<rk:offlineInstantiation gname=\"SPROCKET\" newSite=\"D7NY\" masterDefinitionUrl=\"" + h2 + "d7ca;user=sa;password=secret\"" +
            " newSiteUrl=\"" + h2 + "d7ny\" exportDir=\"" + dir.resolve("export") + "\" tables=\"customers,orders\"/>",
            "<rk:resyncFromDump site=\"pdb\" connection=\"ds.db\" primaryUrl=\"" + h2 + "pdb\" replicateUrl=\"" + h2.replace("replkit:", "") + "rep\"" +
            " controlUrl=\"" + h2.replace("replkit:", "") + "control\" dumpDir=\"" + dir.resolve("dump") + "\" truncationMoved=\"true\"/>",
            "<rk:resyncFromDump site=\"pdb\" connection=\"ds.db\" primaryUrl=\"" + h2 + "pdb\" replicateUrl=\"" + h2.replace("replkit:", "") + "rep\"" +
            " controlUrl=\"" + h2.replace("replkit:", "") + "control\" dumpDir=\"" + dir.resolve("dump2") + "\" snapplan=\"" + plan + "\"/>",
            "<rk:hotstandbySync primaryUrl=\"" + h2 + "hsb1\" secondaryUrl=\"" + h2.replace("replkit:", "") + "hsb2\" mode=\"netcopy\"/>",
            "<rk:verifyReplicas sourceUrl=\"" + h2.replace("replkit:", "") + "src\" targetUrl=\"" + h2.replace("replkit:", "") + "tgt\"/>",
            "<rk:snapshot snapplan=\"" + plan + "\"/>");
      try (TestDb db = TestDatabases.create(Kind.H2, "lbsqlc")) {
         final String out = lb.command("updateSql", db.url(), changelog);
         final String nl = System.lineSeparator();
         final String mdef = "the master definition site " + h2 + "d7ca;user=sa;password=***";
         final String ny = "the new site D7NY " + h2 + "d7ny";
         final String offline = String.join(nl,
               "-- Changeset composites.xml::1::rk",
               "-- offlineInstantiation of new site D7NY into group SPROCKET (seed 004)",
               "-- 9 steps, each over its own connection; progress is recorded in table replkit_progress of this database and a rerun continues at the first step not done;",
               "",
               "-- offlineInstantiation step 1 of 9: 1 ADD_MASTER_DATABASE, at " + mdef,
               "BEGIN DBMS_REPCAT.ADD_MASTER_DATABASE(gname => 'SPROCKET', master => 'D7NY'); END;",
               "",
               "-- offlineInstantiation step 2 of 9: 2 SUSPEND_MASTER_ACTIVITY, at " + mdef,
               "BEGIN DBMS_REPCAT.SUSPEND_MASTER_ACTIVITY(gname => 'SPROCKET'); END;",
               "",
               "-- offlineInstantiation step 3 of 9: 3 BEGIN_INSTANTIATION, at " + mdef,
               "BEGIN DBMS_OFFLINE_OG.BEGIN_INSTANTIATION(gname => 'SPROCKET', new_site => 'D7NY'); END;",
               "",
               "-- offlineInstantiation step 4 of 9: 4 export, at " + mdef,
               "-- export tables customers, orders to " + dir.resolve("export") + " with the position of every master (in-process, one snapshot transaction;"
                  + " replkit export);",
               "",
               "-- offlineInstantiation step 5 of 9: 5 RESUME_SUBSET_OF_MASTERS, at " + mdef,
               "BEGIN DBMS_OFFLINE_OG.RESUME_SUBSET_OF_MASTERS(gname => 'SPROCKET', new_site => 'D7NY'); END;",
               "",
               "-- offlineInstantiation step 6 of 9: 6 BEGIN_LOAD, at " + ny,
               "BEGIN DBMS_OFFLINE_OG.BEGIN_LOAD(gname => 'SPROCKET', new_site => 'D7NY'); END;",
               "",
               "-- offlineInstantiation step 7 of 9: 7 import, at " + ny,
               "-- import " + dir.resolve("export") + " into the new site, replacing its tables of those names, and record the export's positions in its"
                  + " rs_lastcommit (in-process, not captured; replkit import);",
               "",
               "-- offlineInstantiation step 8 of 9: 8 END_LOAD, at " + ny,
               "BEGIN DBMS_OFFLINE_OG.END_LOAD(gname => 'SPROCKET', new_site => 'D7NY'); END;",
               "",
               "-- offlineInstantiation step 9 of 9: 9 END_INSTANTIATION, at " + mdef,
               "BEGIN DBMS_OFFLINE_OG.END_INSTANTIATION(gname => 'SPROCKET', new_site => 'D7NY'); END;",
               "",
               "INSERT INTO ");
         assertTrue(out.contains(offline), "expected\n" + offline + "\nin\n" + out);
         assertFalse(out.contains("secret"), "a password in the output:\n" + out);
         final String resync = String.join(nl,
               "suspend log transfer from pdb;", "", "-- resyncFromDump step 2 of 11: 2 suspend connection, at the primary pdb " + h2 + "pdb",
               "suspend connection to ds.db;", "", "-- resyncFromDump step 3 of 11: 3 resume connection skip to resync marker, at the primary pdb " + h2 + "pdb",
               "resume connection to ds.db skip to resync marker;");
         assertTrue(out.contains(resync), "expected\n" + resync + "\nin\n" + out);
         for (String s : List.of("-- CALL lr_dump_marker(position => <the dump point of step 4-5>, site => 'pdb');",
                                 "ra_init force pdb;" + nl + nl + "-- resyncFromDump step 7 of 11: 7 resume resync",
                                 "EXEC sp_start_rep_agent 'pdb', 'resync';",
                                 "-- wait until connection ds.db is WAIT_FOR_DUMP_MARKER (\"DSI for ds.db received and processed Resync Database Marker. Waiting for Dump"
                                 + " Marker.\"), at most 600 s;" + nl + nl + "-- resyncFromDump step 9 of 11: 9 apply the dump",
                                 "-- wait until connection ds.db is SUSPENDED at the dump marker (\"DSI for ds.db received and processed Dump Marker. DSI is now"
                                 + " suspended.\"), at most 600 s;",
                                 "resume connection to ds.db;" + nl + nl + "INSERT INTO ",
                                 "-- resyncFromDump step 4 of 10: 4-5 snapshot and its dump point",
                                 "ADMIN COMMAND 'hotstandby netcopy';" + nl + nl + "-- hotstandbySync step 2 of 4: connect",
                                 "ADMIN COMMAND 'hotstandby connect';",
                                 "-- repeat ADMIN COMMAND 'hotstandby state' until it answers PRIMARY ACTIVE (at most 600 s);",
                                 "-- verifyReplicas: compare every table of " + h2.replace("replkit:", "") + "tgt with " + h2.replace("replkit:", "") + "src",
                                 "-- snapshot: vmsnap -f " + plan + " -o snapshot (volume-sim, in-process);")) {
            assertTrue(out.contains(s), "expected\n" + s + "\nin\n" + out);
         }
         assertOnlyStatementsAndComments(out);
         assertEquals(List.of(), tables(db, "SELECT TABLE_SCHEMA || '.' || TABLE_NAME FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA <> 'INFORMATION_SCHEMA'"));
      }
      try (Stream<Path> s = Files.list(sites)) {
         assertEquals(List.of(), s.toList(), "update-sql opened a database");
      }
      try (Stream<Path> s = Files.list(dir)) {
         assertEquals(List.of("composites.xml", "sites", "snapplan"), s.map(p -> p.getFileName().toString()).sorted().toList(), "update-sql wrote files");
      }
   }

   /** Every line is blank, a comment, or part of a statement that ends with ';' (Liquibase's own are multi-line only in its header). */
   private static void assertOnlyStatementsAndComments(String out)
   {
      for (String line : out.split("\\R")) {
         final String t = line.trim();
         assertTrue(t.isEmpty() || t.startsWith("--") || t.endsWith(";"), "neither a comment nor a statement: " + line);
      }
   }

   static List<String> tables(TestDb db, String sql) throws Exception
   {
      final List<String> out = new ArrayList<>();
      try (Connection c = db.connect(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
         while (rs.next()) {
            out.add(rs.getString(1));
         }
      }
      return out;
   }
}
