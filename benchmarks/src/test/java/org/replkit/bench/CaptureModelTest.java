package org.replkit.bench;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.replkit.testing.TestDatabases;
import org.replkit.testing.TestDatabases.Kind;
import org.replkit.testing.TestDatabases.TestDb;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The capture models of {@code TpcbBench --capture} on PostgreSQL, at the highest contention the workload
 * has (one branch, four clients): every commit is logged with its images, and where a model claims
 * before images, each one continues the previous after image of the same row in commit order. That is
 * what makes the SET-clause before image a candidate design, so the short run checks it, not the speed.
 */
class CaptureModelTest
{
   @ParameterizedTest
   @EnumSource(value = CaptureModel.class, names = {"RETURNING_SET", "RETURNING_JOIN", "RETURNING_AFTER_ONLY", "STATEMENT_CAPTURE", "STATEMENT_ONLY"})
   void everyCommitIsLoggedAndBeforeImagesAreExactUnderContention(CaptureModel model) throws Exception
   {
      try (TestDb gate = TestDatabases.create(Kind.POSTGRESQL, "capmodel")) {
         final BenchOptions o = BenchOptions.parse("--url-base", gate.url(), "--capture", model.option, "--scale", "1",
                                                   "--accounts-per-branch", "2000", "--clients", "4", "--warmup", "0.2",
                                                   "--seconds", "1.5", "--rounds", "1");
         final ByteArrayOutputStream buf = new ByteArrayOutputStream();
         final TpcbBench.Report r = TpcbBench.run(o, new PrintStream(buf, true, StandardCharsets.UTF_8));
         final String out = buf.toString(StandardCharsets.UTF_8);

         assertTrue(r.replkitCommitted() > 100, "too few transactions to mean anything\n" + out);
         assertEquals(r.replkitCommitted(), r.replkitHistoryRows(), out);
         assertEquals(r.replkitCommitted(), r.capturedCommits(), "every model-side commit is in the model's log\n" + out);
         if (model.hasBeforeImages()) {
            assertTrue(r.beforeImages().checked() > r.replkitCommitted(), "one branch and ten tellers: most updates follow another\n" + out);
            assertEquals(0, r.beforeImages().broken(), out);
         }
         else {
            assertNull(r.beforeImages(), out);
         }
         // statement-capture: the row trigger skips the rows its tagged statements wrote; the others have no row trigger
         assertEquals(0, r.triggerCapturedRows(), "no row was captured twice\n" + out);
         assertTrue(out.contains("RESULT db=postgresql capture=" + model.option), out);
      }
   }

   /**
    * The tag skips the trigger for its own statement and table only: an untagged write of the same session,
    * and a write made at trigger depth 1 inside a tagged statement, are captured by the trigger.
    */
   @org.junit.jupiter.api.Test
   void theTagSkipsOnlyItsOwnStatementsRowsAtDepthZero() throws Exception
   {
      try (TestDb db = TestDatabases.create(Kind.POSTGRESQL, "captag"); java.sql.Connection c = db.connect(); java.sql.Statement st = c.createStatement()) {
         st.execute("CREATE TABLE branches (bid INT PRIMARY KEY, bbalance INT, filler CHAR(88))");
         st.execute("CREATE TABLE tellers (tid INT PRIMARY KEY, bid INT, tbalance INT, filler CHAR(84))");
         st.execute("CREATE TABLE accounts (aid INT PRIMARY KEY, bid INT, abalance INT, filler CHAR(84))");
         st.execute("CREATE TABLE history (hid BIGSERIAL PRIMARY KEY, tid INT, bid INT, aid INT, delta INT, mtime TIMESTAMP, filler CHAR(22))");
         st.execute("INSERT INTO branches VALUES (1, 0), (2, 0)");
         CaptureModel.STATEMENT_CAPTURE.install(c);
         st.execute(CaptureModel.sessionInitSql());
         final long branches = oidOf(st, "branches");
         final String tag = "set_config('rkmodel.row', statement_timestamp()::text || '|" + branches + "', true) IS NOT NULL";
         c.setAutoCommit(false);
         st.executeUpdate("UPDATE branches SET bbalance = bbalance + 1 WHERE bid = 1 AND " + tag);
         assertEquals(0, CaptureModel.triggerCapturedRows(c), "a tagged statement's own rows are skipped");
         st.executeUpdate("UPDATE branches SET bbalance = bbalance + 1 WHERE bid = 2");
         assertEquals(1, CaptureModel.triggerCapturedRows(c), "the next statement of the transaction is not tagged");
         // a write by another trigger runs at depth 1: captured even though the outer statement's tag names its table
         st.execute("CREATE FUNCTION touch_other() RETURNS trigger LANGUAGE plpgsql AS $t$ BEGIN"
                    + " UPDATE branches SET bbalance = bbalance + 100 WHERE bid = 2; RETURN NULL; END $t$");
         st.execute("CREATE TRIGGER touch AFTER UPDATE ON branches FOR EACH ROW WHEN (OLD.bid = 1) EXECUTE FUNCTION touch_other()");
         st.executeUpdate("UPDATE branches SET bbalance = bbalance + 1 WHERE bid = 1 AND " + tag);
         assertEquals(2, CaptureModel.triggerCapturedRows(c), "the nested update of branch 2 is captured, the tagged update of branch 1 is not");
         c.rollback();
      }
   }

   private static long oidOf(java.sql.Statement st, String table) throws java.sql.SQLException
   {
      try (java.sql.ResultSet rs = st.executeQuery("SELECT '" + table + "'::regclass::oid")) {
         rs.next();
         return rs.getLong(1);
      }
   }
}
