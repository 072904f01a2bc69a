package org.replkit.liquibase;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.replkit.testing.TestDatabases;
import org.replkit.testing.TestDatabases.Kind;
import org.replkit.testing.TestDatabases.TestDb;

/** A composite's steps are recorded one by one: a failure names its step, and the next run continues there. */
class ProcedureTest
{
   @TempDir
   Path dir;

   private final List<String> ran = new ArrayList<>();
   private final List<String> out = new ArrayList<>();

   private Procedure procedure(AtomicBoolean failB)
   {
      return new Procedure("demo", "demo.xml::1::rk::demo(x)", out::add)
            .step("1 first", "site A", "SELECT 1", p -> {
               ran.add("a");
               return "position=7; 1 table";
            })
            .step("2 second", "site B", "SELECT 2", p -> {
               ran.add("b:" + p.detail("1 "));
               if (failB.get()) {
                  throw new SQLException("boom at B");
               }
               return null;
            })
            .step("3 third", "site C", "SELECT 3", p -> {
               ran.add("c");
               return null;
            });
   }

   @Test
   void aFailureNamesItsStepAndTheRerunContinuesThere() throws Exception
   {
      try (TestDb db = TestDatabases.create(Kind.H2, "lbproc"); Connection c = db.connect()) {
         c.setAutoCommit(false); // as Liquibase runs a changeset
         final AtomicBoolean fail = new AtomicBoolean(true);
         final SQLException e = assertThrows(SQLException.class, () -> procedure(fail).run(c));
         assertEquals("demo step 2 of 3 (2 second, at site B) failed: boom at B. Steps before it are done and recorded in replkit_progress;"
                      + " fix the cause and run update again to continue at step 2.", e.getMessage());
         c.rollback(); // what Liquibase does with a failed changeset: the progress stays
         assertEquals(List.of("0 1 first DONE position=7; 1 table", "1 2 second FAILED boom at B"), rows(db));
         assertEquals(List.of("a", "b:position=7; 1 table"), ran);

         ran.clear();
         fail.set(false);
         procedure(fail).run(c);
         assertEquals(List.of("b:position=7; 1 table", "c"), ran, "the rerun starts at the failed step and still sees step 1's detail");
         assertEquals(List.of("0 1 first DONE position=7; 1 table", "1 2 second DONE null", "2 3 third DONE null"), rows(db));
         assertTrue(out.contains("demo step 1 of 3 (1 first, at site A): already done (position=7; 1 table)"), out.toString());

         ran.clear();
         procedure(fail).run(c);
         assertEquals(List.of(), ran, "a finished procedure does nothing again");
      }
   }

   @Test
   void aStepInterruptedByACrashRunsAgain() throws Exception
   {
      try (TestDb db = TestDatabases.create(Kind.H2, "lbproc"); Connection c = db.connect()) {
         final AtomicBoolean fail = new AtomicBoolean(true);
         assertThrows(SQLException.class, () -> procedure(fail).run(c));
         // as if the process died inside step 2: its row says RUNNING
         db.exec("UPDATE replkit_progress SET state = 'RUNNING', detail = NULL WHERE step = 1");
         ran.clear();
         fail.set(false);
         procedure(fail).run(c);
         assertEquals(List.of("b:position=7; 1 table", "c"), ran);
      }
   }

   @Test
   void progressOfADifferentStepListIsNotReused() throws Exception
   {
      try (TestDb db = TestDatabases.create(Kind.H2, "lbproc"); Connection c = db.connect()) {
         assertThrows(SQLException.class, () -> procedure(new AtomicBoolean(true)).run(c));
         final Procedure other = new Procedure("demo", "demo.xml::1::rk::demo(x)", out::add)
               .step("1 first", "site A", "SELECT 1", p -> null)
               .step("2 other", "site B", "SELECT 2", p -> null);
         final SQLException e = assertThrows(SQLException.class, () -> other.run(c));
         assertTrue(e.getMessage().startsWith("demo: replkit_progress holds progress for a different list of steps (step 2 was '2 second', now '2 other')."
                                              + " Delete its rows (procedure_key = '"), e.getMessage());
      }
   }

   /**
    * The real offlineInstantiation under the real Liquibase update: no replication server routes its procedure calls
    * here, so step 1 fails; the failure names the step, the changeset is not marked as run, and the failed step is
    * recorded for the rerun.
    */
   @Test
   void offlineInstantiationStopsAtItsFailingStep() throws Exception
   {
      final Path sites = Files.createDirectories(dir.resolve("sites"));
      final String mdef = "jdbc:replkit:h2:" + sites.toAbsolutePath() + "/d7ca;replkit.site=D7CA";
      final Lb lb = new Lb(dir);
      final String changelog = lb.xml("oi.xml", "<rk:offlineInstantiation gname=\"SPROCKET\" newSite=\"D7NY\" masterDefinitionUrl=\"" + mdef + "\""
                                                + " newSiteUrl=\"jdbc:replkit:h2:" + sites.toAbsolutePath() + "/d7ny\" exportDir=\"" + dir.resolve("export") + "\"/>");
      try (TestDb db = TestDatabases.create(Kind.H2, "lbproc")) {
         final Exception e = assertThrows(Exception.class, () -> lb.command("update", db.url(), changelog));
         assertTrue(Lb.messages(e).contains("offlineInstantiation step 1 of 9 (1 ADD_MASTER_DATABASE, at the master definition site " + mdef + ") failed: "),
                    Lb.messages(e));
         assertTrue(Lb.messages(e).contains("fix the cause and run update again to continue at step 1."), Lb.messages(e));
         assertEquals(List.of("0 1 ADD_MASTER_DATABASE FAILED"), rows(db).stream().map(r -> r.substring(0, r.indexOf("FAILED") + 6)).toList());
         assertEquals(List.of(), UpdateSqlTest.tables(db, "SELECT ID FROM DATABASECHANGELOG"));
         assertTrue(Files.notExists(dir.resolve("export")), "no later step ran");
      }
   }

   private static List<String> rows(TestDb db) throws SQLException
   {
      final List<String> out = new ArrayList<>();
      try (Connection c = db.connect(); Statement st = c.createStatement();
           var rs = st.executeQuery("SELECT step, step_label, state, detail FROM replkit_progress ORDER BY step")) {
         while (rs.next()) {
            out.add(rs.getInt(1) + " " + rs.getString(2) + " " + rs.getString(3) + " " + rs.getString(4));
         }
      }
      return out;
   }
}
