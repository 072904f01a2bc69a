package org.replkit.server;

import org.replkit.testing.TestDatabases.Kind;
import org.replkit.testing.TestDatabases.TestDb;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A concurrent application workload through the ReplKit driver: transfers between accounts (updates),
 * accounts opened and closed (inserts, deletes), and an append-only {@code events} table whose committed
 * ids are remembered, so a replicate can be checked for duplicate and missing rows.
 */
final class Workload
{
   static final int ACCOUNTS = 50;
   final TestDb db;
   final String site;
   final Set<Long> committedEvents = new ConcurrentSkipListSet<>();
   private final AtomicLong ids = new AtomicLong();
   private final java.util.concurrent.atomic.AtomicInteger runs = new java.util.concurrent.atomic.AtomicInteger();

   Workload(TestDb db, String site)
   {
      this.db = db;
      this.site = site;
   }

   String url()
   {
      return db.replkitUrl("replkit.site=" + site);
   }

   /** Creates and fills the tables through the driver (so the DDL is replicated too). */
   void schema() throws SQLException
   {
      try (Connection c = DriverManager.getConnection(url()); Statement st = c.createStatement()) {
         st.execute("CREATE TABLE acct (id INT PRIMARY KEY, owner VARCHAR(40) NOT NULL, balance DECIMAL(12,2) NOT NULL, opened DATE)");
         st.execute("CREATE TABLE events (id BIGINT PRIMARY KEY, acct INT NOT NULL, amount DECIMAL(12,2), note VARCHAR(100))");
         c.setAutoCommit(false);
         try (PreparedStatement ps = c.prepareStatement("INSERT INTO acct VALUES (?, ?, 100.00, DATE '2024-01-31')")) {
            for (int i = 1; i <= ACCOUNTS; i++) {
               ps.setInt(1, i);
               ps.setString(2, "owner " + i);
               ps.addBatch();
            }
            ps.executeBatch();
         }
         c.commit();
      }
   }

   /** Runs {@code perThread} transactions on each of {@code threads} threads; returns the committed count. */
   long run(int threads, int perThread) throws Exception
   {
      final int run = runs.getAndIncrement();
      final List<Thread> ts = new ArrayList<>();
      final AtomicLong committed = new AtomicLong();
      final List<Throwable> errors = new java.util.concurrent.CopyOnWriteArrayList<>();
      for (int t = 0; t < threads; t++) {
         final int me = t;
         ts.add(new Thread(() -> {
            try (Connection c = DriverManager.getConnection(url())) {
               c.setAutoCommit(false);
               for (int i = 0; i < perThread; i++) {
                  for (int attempt = 0; ; attempt++) {
                     try {
                        final long event = one(c, run, me, i);
                        c.commit();
                        committedEvents.add(event);
                        committed.incrementAndGet();
                        break;
                     }
                     catch (SQLException e) {
                        c.rollback();
                        if (attempt > 10) {
                           throw e;
                        }
                     }
                  }
               }
            }
            catch (Throwable e) {
               errors.add(e);
            }
         }));
      }
      ts.forEach(Thread::start);
      for (Thread t : ts) {
         t.join();
      }
      if (!errors.isEmpty()) {
         throw new AssertionError("workload failed: " + errors.get(0), errors.get(0));
      }
      return committed.get();
   }

   private long one(Connection c, int run, int thread, int i) throws SQLException
   {
      final ThreadLocalRandom rnd = ThreadLocalRandom.current();
      final int a = 1 + rnd.nextInt(ACCOUNTS);
      final int b = a % ACCOUNTS + 1;
      final BigDecimal amount = BigDecimal.valueOf(rnd.nextInt(1, 10_000), 2);
      try (PreparedStatement up = c.prepareStatement("UPDATE acct SET balance = balance + ? WHERE id = ?");
           PreparedStatement ev = c.prepareStatement("INSERT INTO events (id, acct, amount, note) VALUES (?, ?, ?, ?)")) {
         // lock in id order: the application threads never deadlock each other
         up.setBigDecimal(1, Math.min(a, b) == a ? amount.negate() : amount);
         up.setInt(2, Math.min(a, b));
         up.executeUpdate();
         up.setBigDecimal(1, Math.min(a, b) == a ? amount : amount.negate());
         up.setInt(2, Math.max(a, b));
         up.executeUpdate();
         final long id = ids.incrementAndGet();
         ev.setLong(1, id);
         ev.setInt(2, a);
         ev.setBigDecimal(3, amount);
         ev.setString(4, i % 5 == 0 ? null : "t" + thread + " 'quoted' \"and\" ünïcode");
         ev.executeUpdate();
         if (i % 7 == 3) { // open an account, and close the one opened seven transactions ago
            final int open = 10_000 + run * 100_000 + thread * 1000 + i;
            try (PreparedStatement ins = c.prepareStatement("INSERT INTO acct (id, owner, balance, opened) VALUES (?, ?, 0, NULL)");
                 PreparedStatement del = c.prepareStatement("DELETE FROM acct WHERE id = ?")) {
               ins.setInt(1, open);
               ins.setString(2, "new " + open);
               ins.executeUpdate();
               del.setInt(1, open - 7);
               del.executeUpdate();
            }
         }
         return id;
      }
   }

   /** Asserts the replicate's events are exactly the committed ones: no duplicate, no missing row. */
   void assertEventsExactly(TestDb replicate) throws SQLException
   {
      final Set<Long> got = new java.util.TreeSet<>();
      long rows = 0;
      try (Connection c = replicate.connect(); Statement st = c.createStatement(); var rs = st.executeQuery("SELECT id FROM events")) {
         while (rs.next()) {
            got.add(rs.getLong(1));
            rows++;
         }
      }
      if (rows != got.size()) {
         throw new AssertionError("duplicate events at the replicate: " + rows + " rows, " + got.size() + " distinct ids");
      }
      final Set<Long> missing = new java.util.TreeSet<>(committedEvents);
      missing.removeAll(got);
      final Set<Long> extra = new java.util.TreeSet<>(got);
      extra.removeAll(committedEvents);
      if (!missing.isEmpty() || !extra.isEmpty()) {
         throw new AssertionError("events differ: missing " + missing + ", not committed at the primary " + extra);
      }
   }

   static Kind kind(TestDb db)
   {
      return db.kind;
   }
}
