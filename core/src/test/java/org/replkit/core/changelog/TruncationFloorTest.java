package org.replkit.core.changelog;

import org.junit.jupiter.api.Test;
import org.replkit.testing.TestDatabases;
import org.replkit.testing.TestDatabases.Kind;
import org.replkit.testing.TestDatabases.TestDb;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;

import static org.junit.jupiter.api.Assertions.*;

/** Truncation never passes a standby's received position while it is set, and records how far it went. */
class TruncationFloorTest
{
   @Test
   void truncationStopsAtTheStandbyFloorAndRecordsItsPoint() throws Exception
   {
      try (TestDb db = TestDatabases.create(Kind.H2, "floor"); Connection c = db.connect()) {
         final ChangeLogSchema log = new ChangeLogSchema(Dialect.H2, "replkit");
         log.install(c);
         try (PreparedStatement commit = c.prepareStatement("INSERT INTO " + log.table("rk_commit") + " (seq, tx, site, committed_at) VALUES (?, ?, 'S', LOCALTIMESTAMP)");
              PreparedStatement change = c.prepareStatement("INSERT INTO " + log.table("rk_change") + " (tx, op, schema_name, table_name, after_image) VALUES (?, 'I', 'PUBLIC', 'T', '{}')")) {
            for (int seq = 1; seq <= 10; seq++) {
               commit.setLong(1, seq);
               commit.setLong(2, 100 + seq);
               commit.executeUpdate();
               change.setLong(1, 100 + seq);
               change.executeUpdate();
            }
         }
         final ChangeLogReader reader = new ChangeLogReader(log, "S");
         assertEquals(0, reader.truncatedTo(c));
         LogMeta.put(c, log, LogMeta.STANDBY_RECEIVED, "4");
         assertEquals(4, reader.truncate(c, 10), "only the records up to the floor go");
         assertEquals(4, reader.truncatedTo(c));
         assertEquals(6, count(c, log, "rk_change"));
         assertEquals(6, reader.read(c, 4, 100).size(), "transactions 5 to 10 are still readable for the standby");
         assertTrue(LogMeta.delete(c, log, LogMeta.STANDBY_RECEIVED));
         // in slices of at most 3 commits: 4 (already truncated, its commit row kept), 5, 6 -> point 6; then 6..8; then to 10
         assertEquals(new ChangeLogReader.Truncation(6, 2, true), reader.truncate(c, 10, 3), "records of 5 and 6; more remain");
         assertEquals(6, reader.truncatedTo(c));
         assertEquals(4, reader.read(c, 6, 100).size(), "7 to 10 are still readable");
         assertEquals(new ChangeLogReader.Truncation(8, 2, true), reader.truncate(c, 10, 3));
         assertEquals(new ChangeLogReader.Truncation(10, 2, false), reader.truncate(c, 10, 3), "the last slice reaches the point asked for");
         assertEquals(0, reader.truncate(c, 10));
         assertEquals(10, reader.truncatedTo(c));
         assertEquals(0, count(c, log, "rk_change"));
         assertEquals(10, reader.position(c), "the last commit row stays: the position survives truncation");
         reader.truncate(c, 7);
         assertEquals(10, reader.truncatedTo(c), "the recorded point never moves back");
      }
   }

   private static int count(Connection c, ChangeLogSchema log, String table) throws Exception
   {
      try (var st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM " + log.table(table))) {
         rs.next();
         return rs.getInt(1);
      }
   }
}
