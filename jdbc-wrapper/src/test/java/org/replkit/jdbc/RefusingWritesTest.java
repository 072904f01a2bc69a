package org.replkit.jdbc;

import org.junit.jupiter.api.Test;
import org.replkit.testing.TestDatabases;
import org.replkit.testing.TestDatabases.Kind;
import org.replkit.testing.TestDatabases.TestDb;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The connection the javaagent hands out when capture cannot be set up: reads pass, no write gets through. */
class RefusingWritesTest
{
   @Test
   void readsAndTransactionControlPassEveryWriteIsRefused() throws Exception
   {
      try (TestDb db = TestDatabases.create(Kind.H2, "refusing")) {
         db.exec("CREATE TABLE t (id INT PRIMARY KEY, v INT)", "INSERT INTO t VALUES (1, 10)");
         try (Connection c = ReplKitDriver.refusingWrites(db.connect(), "capture is broken"); Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery("SELECT v FROM t WHERE id = 1")) {
               assertTrue(rs.next());
               assertEquals(10, rs.getInt(1));
            }
            c.setAutoCommit(false);
            for (String write : List.of("INSERT INTO t VALUES (2, 20)", "UPDATE t SET v = 11", "DELETE FROM t", "CREATE TABLE u (id INT)", "TRUNCATE TABLE t")) {
               final SQLException e = assertThrows(SQLException.class, () -> st.executeUpdate(write), write);
               assertEquals("capture is broken: " + write, e.getMessage());
               assertEquals("55000", e.getSQLState());
            }
            try (PreparedStatement ps = c.prepareStatement("UPDATE t SET v = ? WHERE id = 1")) {
               ps.setInt(1, 12);
               assertThrows(SQLException.class, ps::executeUpdate);
               ps.addBatch();
               assertThrows(SQLException.class, ps::executeBatch);
            }
            st.addBatch("INSERT INTO t VALUES (3, 30)");
            assertThrows(SQLException.class, st::executeBatch);
            c.commit();
            c.rollback();
            c.setAutoCommit(true);
         }
         assertEquals(List.of("1 | 10"), db.rows("t", "id"));
      }
   }
}
