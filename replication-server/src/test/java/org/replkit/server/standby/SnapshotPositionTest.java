package org.replkit.server.standby;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.replkit.core.changelog.ChangeLogSchema;
import org.replkit.core.changelog.Dialect;
import org.replkit.core.copy.Snapshot;
import org.replkit.testing.TestDatabases;
import org.replkit.testing.TestDatabases.Kind;
import org.replkit.testing.TestDatabases.TestDb;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A snapshot's position is exact while many clients commit at once: the snapshot sees every transaction
 * up to its position and none after it. On PostgreSQL commits become visible out of sequence order, so
 * this is what the snapshot's in-flight check is for; the check compares, for each snapshot taken during
 * the load, what it saw against what was committed up to its position once every client has finished.
 */
class SnapshotPositionTest
{
   @ParameterizedTest
   @EnumSource(Kind.class)
   void everySnapshotHoldsExactlyTheTransactionsUpToItsPosition(Kind kind) throws Exception
   {
      try (TestDb db = TestDatabases.create(kind, "snappos")) {
         try (Connection c = DriverManager.getConnection(db.replkitUrl("replkit.site=S1")); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE t (id BIGINT PRIMARY KEY, w INT NOT NULL)");
         }
         final AtomicBoolean stop = new AtomicBoolean();
         final AtomicLong ids = new AtomicLong();
         final List<Throwable> failures = new CopyOnWriteArrayList<>();
         final List<Thread> writers = new ArrayList<>();
         for (int w = 0; w < 6; w++) {
            final int me = w;
            writers.add(new Thread(() -> {
               try (Connection c = DriverManager.getConnection(db.replkitUrl("replkit.site=S1"));
                    PreparedStatement ps = c.prepareStatement("INSERT INTO t VALUES (?, ?)")) {
                  c.setAutoCommit(false);
                  while (!stop.get()) {
                     ps.setLong(1, ids.incrementAndGet());
                     ps.setInt(2, me);
                     ps.executeUpdate();
                     c.commit();
                  }
               }
               catch (Throwable t) {
                  failures.add(t);
               }
            }));
         }
         writers.forEach(Thread::start);
         final List<long[]> seen = new ArrayList<>(); // position, rows of t the snapshot saw
         try (Connection c = db.connect(); Connection probe = db.connect()) {
            final Dialect d = Dialect.of(c);
            final ChangeLogSchema log = new ChangeLogSchema(d, ChangeLogSchema.defaultSchema(d, c));
            final long until = System.currentTimeMillis() + 1500;
            while (System.currentTimeMillis() < until) {
               try (Snapshot s = Snapshot.open(c, log, probe, 10_000)) {
                  seen.add(new long[] {s.position(), count(s.connection(), "SELECT COUNT(*) FROM t")});
               }
               Thread.sleep(10);
            }
            stop.set(true);
            for (Thread t : writers) {
               t.join(10_000);
            }
            assertEquals(List.of(), failures);
            assertTrue(seen.size() >= 20, "snapshots taken during the load: " + seen.size());
            assertTrue(seen.get(seen.size() - 1)[0] > seen.get(0)[0] + 50, "the clients committed while the snapshots were taken");
            for (long[] s : seen) {
               // every client transaction inserted one row, so the rows a snapshot sees are the transactions it holds
               final long committed = count(c, "SELECT COUNT(DISTINCT m.seq) FROM " + log.table("rk_commit") + " m JOIN " + log.table("rk_change")
                                               + " x ON x.tx = m.tx WHERE m.seq <= " + s[0] + " AND x.op = 'I'");
               assertEquals(committed, s[1], "the snapshot at position " + s[0] + " saw " + s[1] + " rows, but " + committed
                                             + " transactions that inserted one committed up to it");
            }
         }
      }
   }

   private static long count(Connection c, String sql) throws SQLException
   {
      try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
         rs.next();
         return rs.getLong(1);
      }
   }
}
