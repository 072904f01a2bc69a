package org.replkit.bench;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The TPC-B-like transaction of pgbench's built-in script, run by N client threads against a pool: each
 * transaction borrows a connection, prepares and runs the five statements with autocommit off, commits
 * and gives the connection back, as an application on a pool does.
 */
final class TpcbWorkload
{
   static final String UPDATE_ACCOUNT = "UPDATE accounts SET abalance = abalance + ? WHERE aid = ?";
   static final String SELECT_ACCOUNT = "SELECT abalance FROM accounts WHERE aid = ?";
   static final String UPDATE_TELLER = "UPDATE tellers SET tbalance = tbalance + ? WHERE tid = ?";
   static final String UPDATE_BRANCH = "UPDATE branches SET bbalance = bbalance + ? WHERE bid = ?";
   static final String INSERT_HISTORY = "INSERT INTO history (tid, bid, aid, delta, mtime) VALUES (?, ?, ?, ?, CURRENT_TIMESTAMP)";

   /** Deadlock and serialization failures: the transaction is rolled back, counted, and the client goes on. */
   private static final Set<String> RETRYABLE = Set.of("40001", "40P01", "40000");

   /** One transaction's statements and its commit, on a borrowed connection with autocommit off. */
   @FunctionalInterface
   interface Transaction
   {
      void run(Connection c, int aid, int tid, int bid, int delta) throws SQLException;
   }

   /** pgbench's built-in transaction, as an application sends it. */
   static final Transaction PGBENCH = (c, aid, tid, bid, delta) -> {
      try (PreparedStatement ps = c.prepareStatement(UPDATE_ACCOUNT)) {
         ps.setInt(1, delta);
         ps.setInt(2, aid);
         ps.executeUpdate();
      }
      selectAccount(c, aid);
      try (PreparedStatement ps = c.prepareStatement(UPDATE_TELLER)) {
         ps.setInt(1, delta);
         ps.setInt(2, tid);
         ps.executeUpdate();
      }
      try (PreparedStatement ps = c.prepareStatement(UPDATE_BRANCH)) {
         ps.setInt(1, delta);
         ps.setInt(2, bid);
         ps.executeUpdate();
      }
      try (PreparedStatement ps = c.prepareStatement(INSERT_HISTORY)) {
         ps.setInt(1, tid);
         ps.setInt(2, bid);
         ps.setInt(3, aid);
         ps.setInt(4, delta);
         ps.executeUpdate();
      }
      c.commit();
   };

   /** The transaction's read: the account's balance, which must exist. */
   static void selectAccount(Connection c, int aid) throws SQLException
   {
      try (PreparedStatement ps = c.prepareStatement(SELECT_ACCOUNT)) {
         ps.setInt(1, aid);
         try (ResultSet rs = ps.executeQuery()) {
            if (!rs.next()) {
               throw new SQLException("account " + aid + " does not exist: was the database loaded?");
            }
            rs.getInt(1);
         }
      }
   }

   /** What one measured phase did. */
   record PhaseResult(long transactions, long aborted, double seconds, long allCommitted, long[] latencyNanos, double cpuMicrosPerTx)
   {
      double tps()
      {
         return transactions / seconds;
      }

      /** Latency percentile in milliseconds (0 when nothing was measured). */
      double percentileMillis(double p)
      {
         if (latencyNanos.length == 0) {
            return 0;
         }
         final int i = (int) Math.min(latencyNanos.length - 1, Math.max(0, Math.ceil(p / 100.0 * latencyNanos.length) - 1));
         return latencyNanos[i] / 1e6;
      }

      double meanMillis()
      {
         return latencyNanos.length == 0 ? 0 : Arrays.stream(latencyNanos).average().orElse(0) / 1e6;
      }
   }

   private final int branches;
   private final int tellers;
   private final int accounts;

   TpcbWorkload(BenchOptions o)
   {
      this.branches = o.scale;
      this.tellers = o.tellers();
      this.accounts = Math.toIntExact(o.accounts());
   }

   /**
    * Runs {@code clients} threads for warm-up plus measured seconds; counts the transactions that
    * committed inside the measured window (by their commit time).
    */
   PhaseResult run(DataSource ds, Transaction tx, int clients, double warmupSeconds, double seconds) throws SQLException, InterruptedException
   {
      final long start = System.nanoTime();
      final long measureFrom = start + (long) (warmupSeconds * 1e9);
      final long measureTo = measureFrom + (long) (seconds * 1e9);
      final AtomicReference<Throwable> failure = new AtomicReference<>();
      final CountDownLatch done = new CountDownLatch(clients);
      final Client[] cs = new Client[clients];
      for (int i = 0; i < clients; i++) {
         cs[i] = new Client(ds, tx, measureFrom, measureTo, failure);
         final Client client = cs[i];
         final Thread t = new Thread(() -> {
            try {
               client.run();
            }
            catch (Throwable e) {
               failure.compareAndSet(null, e);
            }
            finally {
               done.countDown();
            }
         }, "tpcb-client-" + i);
         t.setDaemon(true);
         t.start();
      }
      // the machine's CPU over the measured window, read by this (otherwise waiting) thread at its edges
      MachineCpu cpuFrom = null;
      MachineCpu cpuTo = null;
      if (!done.await(Math.max(0, measureFrom - System.nanoTime()), TimeUnit.NANOSECONDS)) {
         cpuFrom = MachineCpu.now();
         done.await(Math.max(0, measureTo - System.nanoTime()), TimeUnit.NANOSECONDS); // the clients stop at measureTo themselves
         cpuTo = MachineCpu.now();
      }
      done.await();
      final Throwable f = failure.get();
      if (f instanceof SQLException e) {
         throw e;
      }
      if (f != null) {
         throw new IllegalStateException("a benchmark client failed: " + f, f);
      }
      long n = 0;
      long aborted = 0;
      long all = 0;
      int lat = 0;
      for (Client c : cs) {
         n += c.measured;
         aborted += c.aborted;
         all += c.committed;
         lat += c.latencyCount;
      }
      final long[] latencies = new long[lat];
      int at = 0;
      for (Client c : cs) {
         System.arraycopy(c.latencies, 0, latencies, at, c.latencyCount);
         at += c.latencyCount;
      }
      Arrays.sort(latencies);
      return new PhaseResult(n, aborted, seconds, all, latencies, MachineCpu.microsPerTransaction(cpuFrom, cpuTo, n));
   }

   private final class Client
   {
      private final DataSource ds;
      private final Transaction tx;
      private final long measureFrom;
      private final long measureTo;
      private final AtomicReference<Throwable> failure;
      long committed;
      long measured;
      long aborted;
      long[] latencies = new long[1 << 14];
      int latencyCount;

      Client(DataSource ds, Transaction tx, long measureFrom, long measureTo, AtomicReference<Throwable> failure)
      {
         this.ds = ds;
         this.tx = tx;
         this.measureFrom = measureFrom;
         this.measureTo = measureTo;
         this.failure = failure;
      }

      void run() throws SQLException
      {
         final ThreadLocalRandom r = ThreadLocalRandom.current();
         long now = System.nanoTime();
         while (now < measureTo && failure.get() == null) {
            final int aid = 1 + r.nextInt(accounts);
            final int tid = 1 + r.nextInt(tellers);
            final int bid = 1 + r.nextInt(branches);
            final int delta = r.nextInt(-5000, 5001);
            final long t0 = now;
            final boolean ok = transaction(aid, tid, bid, delta);
            now = System.nanoTime();
            if (!ok) {
               aborted++;
               continue;
            }
            committed++;
            if (now >= measureFrom && now < measureTo) {
               measured++;
               if (latencyCount == latencies.length) {
                  latencies = Arrays.copyOf(latencies, latencies.length * 2);
               }
               latencies[latencyCount++] = now - t0;
            }
         }
      }

      /** One TPC-B-like transaction; false when the database aborted it (deadlock, serialization failure). */
      private boolean transaction(int aid, int tid, int bid, int delta) throws SQLException
      {
         try (Connection c = ds.getConnection()) {
            if (c.getAutoCommit()) {
               c.setAutoCommit(false);
            }
            try {
               tx.run(c, aid, tid, bid, delta);
               return true;
            }
            catch (SQLException e) {
               try {
                  c.rollback();
               }
               catch (SQLException r) {
                  e.addSuppressed(r);
               }
               if (e.getSQLState() != null && RETRYABLE.contains(e.getSQLState())) {
                  return false;
               }
               throw e;
            }
         }
      }
   }

   /** Median of a list of values (mean of the middle two for an even count). */
   static double median(List<Double> values)
   {
      final List<Double> v = new ArrayList<>(values);
      v.sort(Double::compare);
      final int n = v.size();
      return n == 0 ? Double.NaN : n % 2 == 1 ? v.get(n / 2) : (v.get(n / 2 - 1) + v.get(n / 2)) / 2;
   }
}
