package org.replkit.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import org.replkit.bench.BenchOptions.Db;
import org.replkit.core.control.ControlDb;
import org.replkit.server.ReplicationServer;
import org.replkit.server.ServerConfig;

import java.io.IOException;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

/**
 * The replication server measured in one run, with an in-process {@link ReplicationServer} (as
 * {@code replkit demo} runs one) on three fresh databases of one server: a primary written through
 * {@code jdbc:replkit:}, its replicate, and a "raw" database for the baseline.
 * <ol>
 *   <li>Apply throughput: {@code --rows} rows in transactions of {@code --tx-rows} are committed at the
 *       primary while the connection (DSI) is suspended, so they wait in the stable queue; then the
 *       connection is resumed and the replicate's {@code MAX(id)} is polled until the last row is there.
 *       The same rows with the same batch size go into the raw database by plain
 *       {@code addBatch/executeBatch}, one commit per batch, twice: with the driver's defaults and with
 *       the driver settings the DSI uses (reWriteBatchedInserts on PostgreSQL).</li>
 *   <li>End-to-end lag: {@code --rate} transactions per second (one insert, one update) through HikariCP
 *       and {@code jdbc:replkit:}, server running; each transaction's commit time is kept in memory and a
 *       poller reads the replicate every {@code --probe-ms} for ids not seen yet. Lag = first seen -
 *       commit returned.</li>
 * </ol>
 * See benchmarks/README.md.
 */
public final class ApplyBench
{
   static final String SITE = "bench";
   private static final int HOT_ROWS = 64;

   /** Part 1. Rates in rows per second. */
   public record ApplyResult(long rows, int txRows, int rounds, double primarySeconds, double applyFirstToLastRowsPerSec, double applyRowsPerSec,
                             double applySeconds, double rawRowsPerSec, double rawSameSettingsRowsPerSec, double rawGroupedRowsPerSec,
                             long rowsPerGroup, long replicateRows, long rawRows, List<Double> roundRatios)
   {
      /**
       * Apply (from resume to the last row, everything the DSI does included) against the raw insert with
       * the DSI's driver settings and the DSI's commit grouping: the same work at the replicate minus ReplKit.
       * Both are the medians over the rounds (apply and raw alternate, so both see the same machine).
       */
      public double ratio()
      {
         return applyRowsPerSec / rawGroupedRowsPerSec;
      }
   }

   /** Part 2. Lags in milliseconds, over the transactions due in the measured window (after the warm-up's). */
   public record LagResult(double targetRate, double achievedRate, long measured, long committed, long failed, long seen,
                           double p50, double p90, double p99, double max, double mean, long replicateRows, long primaryRows)
   {
   }

   public record Report(ApplyResult apply, LagResult lag)
   {
   }

   private ApplyBench()
   {
   }

   public static void main(String[] args)
   {
      if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
         System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn"); // the server's state changes are not the output
      }
      final ApplyBenchOptions o;
      try {
         o = ApplyBenchOptions.parse(args);
      }
      catch (IllegalArgumentException e) {
         System.err.println(e.getMessage());
         System.exit(2);
         return;
      }
      if (o.help) {
         System.out.println(ApplyBenchOptions.USAGE);
         return;
      }
      try {
         run(o, System.out);
      }
      catch (Exception e) {
         System.err.println("benchmark failed: " + e);
         e.printStackTrace();
         System.exit(1);
      }
   }

   public static Report run(ApplyBenchOptions o, PrintStream out) throws Exception
   {
      out.printf(Locale.ROOT, "ReplKit apply throughput and end-to-end lag  %s%n", o);
      out.printf(Locale.ROOT, "JVM %s, %d cores%n", System.getProperty("java.version"), Runtime.getRuntime().availableProcessors());
      final String suffix = Long.toString(ThreadLocalRandom.current().nextLong() & 0xffffffffL, 36);
      final List<BenchDatabase> created = new ArrayList<>();
      final Path dir = Files.createTempDirectory("replkit-applybench");
      final AtomicReference<ReplicationServer> running = new AtomicReference<>();
      final Thread cleanupOnExit = new Thread(() -> cleanup(running, created, dir, o.keep), "applybench-cleanup");
      Runtime.getRuntime().addShutdownHook(cleanupOnExit); // Ctrl-C must not leave the databases behind
      try {
         final BenchDatabase primary = BenchDatabase.create(o.db, o.urlBase, "rkapply_p_" + suffix);
         created.add(primary);
         final BenchDatabase replicate = BenchDatabase.create(o.db, o.urlBase, "rkapply_r_" + suffix);
         created.add(replicate);
         final BenchDatabase raw = BenchDatabase.create(o.db, o.urlBase, "rkapply_raw_" + suffix);
         created.add(raw);
         // every table before the first jdbc:replkit: connection, which installs capture on the existing tables
         for (BenchDatabase d : List.of(primary, replicate)) {
            createTables(d, true);
         }
         createTables(raw, false);
         out.println("server: " + primary.describeServer());

         final String connName = o.db.name().toLowerCase(Locale.ROOT) + "." + replicate.name;
         final ServerConfig cfg = new ServerConfig(dir.resolve("queue"), new ServerConfig.Db("jdbc:h2:file:" + dir.resolve("control"), null, null),
                                                   List.of(new ServerConfig.Site(SITE, new ServerConfig.Db(primary.url, null, null), o.readerPollMs)),
                                                   List.of(new ServerConfig.Conn(connName, new ServerConfig.Db(replicate.url, null, null), Set.of(SITE), null,
                                                                                 o.groupTransactions, o.groupRows)));
         // the change log must exist before the log reader starts: one jdbc:replkit: connection installs it
         try (Connection c = replkit(primary)) {
            c.isValid(5);
         }
         final ApplyResult apply;
         final LagResult lag;
         try (ReplicationServer server = new ReplicationServer(cfg)) {
            running.set(server);
            server.start();
            apply = applyThroughput(o, out, server, connName, primary, replicate, raw);
            lag = lag(o, out, primary, replicate);
         }
         finally {
            running.set(null);
         }
         printSummary(out, o, apply, lag);
         if (o.keep) {
            out.println("kept the databases: " + primary.url + ", " + replicate.url + " and " + raw.url);
         }
         return new Report(apply, lag);
      }
      finally {
         cleanup(running, created, dir, o.keep);
         try {
            Runtime.getRuntime().removeShutdownHook(cleanupOnExit);
         }
         catch (IllegalStateException shuttingDown) {
            // the hook is running or has run
         }
      }
   }

   // ---------------------------------------------------------------- part 1

   private static ApplyResult applyThroughput(ApplyBenchOptions o, PrintStream out, ReplicationServer server, String connName,
                                              BenchDatabase primary, BenchDatabase replicate, BenchDatabase raw) throws Exception
   {
      final long txs = (o.rows + o.txRows - 1) / o.txRows;
      // the DSI commits a group: up to groupTransactions transactions or groupRows rows, whichever comes first
      final long txPerGroup = Math.max(1, Math.min(o.groupTransactions, (o.groupRows + o.txRows - 1) / o.txRows));
      final long rowsPerGroup = txPerGroup * o.txRows;
      final double[] applyRates = new double[o.rounds];
      final double[] firstToLastRates = new double[o.rounds];
      final double[] rawRates = new double[o.rounds];
      final List<Double> roundRatios = new ArrayList<>();
      double primarySeconds = 0;
      double applySeconds = 0;
      double rawDefault = 0;
      double rawSame = 0;
      for (int round = 0; round < o.rounds; round++) {
         final String r = o.rounds > 1 ? "part 1 round " + (round + 1) + ":" : "part 1:";
         final long first = round * o.rows + 1;
         final String suspended = server.admin("suspend connection to " + connName);
         if (!suspended.contains("is suspended")) {
            throw new IllegalStateException("could not suspend the connection: " + suspended);
         }
         // the rows through jdbc:replkit:, as an application would write them; the log reader queues them meanwhile
         final long t0 = System.nanoTime();
         try (Connection c = replkit(primary)) {
            insertRows(c, "apply_rows", first, o.rows, o.txRows, o.txRows);
         }
         primarySeconds = (System.nanoTime() - t0) / 1e9;
         out.printf(Locale.ROOT, "%s %d rows in %d transactions committed at the primary through jdbc:replkit: in %.1f s (%.0f rows/s); connection suspended%n",
                    r, o.rows, txs, primarySeconds, o.rows / primarySeconds);
         awaitQueued(server.control(), (round + 1) * txs, 120_000);

         replicate.settle();
         // where the time goes: CPU of the DSI thread (JVM) and of its PostgreSQL backend (/proc), against the wall time
         final Cpu dsiCpu = Cpu.ofThread("replkit-dsi-" + connName, replicate, "replkit replicate%");
         final long[] firstSeen = new long[2]; // {time, rows}
         final long last = first + o.rows - 1;
         final long tResume = System.nanoTime();
         final String resumed = server.admin("resume connection to " + connName);
         if (!resumed.contains("is resumed")) {
            throw new IllegalStateException("could not resume the connection: " + resumed);
         }
         final long tLast;
         try (Connection c = replicate.plain(); PreparedStatement ps = c.prepareStatement("SELECT MAX(id) FROM apply_rows")) {
            c.setAutoCommit(true);
            final long deadline = System.nanoTime() + 600_000_000_000L;
            while (true) {
               final long max = maxId(ps);
               final long now = System.nanoTime();
               if (max >= first && firstSeen[0] == 0) {
                  firstSeen[0] = now;
                  firstSeen[1] = max - first + 1;
               }
               if (max >= last) {
                  tLast = now;
                  break;
               }
               if (now > deadline) {
                  throw new IllegalStateException("the replicate has rows up to " + max + " of " + last + " after 10 minutes: is the connection suspended"
                                                  + " on an error? (see the server's log)");
               }
               LockSupport.parkNanos(2_000_000);
            }
         }
         final String dsiSplit = dsiCpu.since();
         applySeconds = (tLast - tResume) / 1e9;
         final double firstToLast = (tLast - firstSeen[0]) / 1e9;
         // from the first applied group to the last: the first group's rows were applied before the window opened
         firstToLastRates[round] = firstToLast > 0 && o.rows > firstSeen[1] ? (o.rows - firstSeen[1]) / firstToLast : o.rows / applySeconds;
         applyRates[round] = o.rows / applySeconds;
         out.printf(Locale.ROOT, "%s apply            %10.0f rows/s  from resume to the last row (%.3f s); %.0f rows/s from the first applied group"
                                 + " (%d rows, visible %.3f s after resume) to the last%n",
                    r, applyRates[round], applySeconds, firstToLastRates[round], firstSeen[1], (firstSeen[0] - tResume) / 1e9);
         out.printf(Locale.ROOT, "%s   CPU during apply: %s, wall %.2f s%n", r, dsiSplit, applySeconds);

         if (round == 0) {
            raw.settle();
            rawDefault = rawInsert(raw, "raw_default", o, false, o.txRows);
            out.printf(Locale.ROOT, "%s raw batch insert %10.0f rows/s  (driver defaults, batch %d, one commit per batch)%n", r, rawDefault, o.txRows);
            raw.settle();
            rawSame = rawInsert(raw, "raw_dsi_settings", o, true, o.txRows);
            final String settings = o.db == Db.POSTGRESQL ? "reWriteBatchedInserts=true" : "the same as the defaults";
            out.printf(Locale.ROOT, "%s raw batch insert %10.0f rows/s  (the DSI's driver settings: %s, batch %d, one commit per batch)%n", r, rawSame,
                       settings, o.txRows);
         }
         emptyTable(raw, "raw_dsi_grouping");
         raw.settle();
         rawRates[round] = rawInsert(raw, "raw_dsi_grouping", o, true, rowsPerGroup);
         out.printf(Locale.ROOT, "%s raw batch insert %10.0f rows/s  (the DSI's driver settings, batch %d, one commit per %d rows as the DSI groups them)%n",
                    r, rawRates[round], o.txRows, rowsPerGroup);
         out.printf(Locale.ROOT, "%s   CPU during that raw insert: %s, wall %.2f s%n", r, lastRawCpu, o.rows / rawRates[round]);
         roundRatios.add(applyRates[round] / rawRates[round]);
      }
      return new ApplyResult(o.rows, o.txRows, o.rounds, primarySeconds, median(firstToLastRates), median(applyRates), applySeconds, rawDefault, rawSame,
                             median(rawRates), rowsPerGroup, count(replicate, "apply_rows"), count(raw, "raw_dsi_grouping"), roundRatios);
   }

   static double median(double[] values)
   {
      final double[] v = values.clone();
      java.util.Arrays.sort(v);
      return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
   }

   private static void emptyTable(BenchDatabase d, String table) throws SQLException
   {
      try (Connection c = d.plain(); Statement st = c.createStatement()) {
         c.setAutoCommit(true);
         st.execute("DELETE FROM " + table);
      }
   }

   private static double rawInsert(BenchDatabase raw, String table, ApplyBenchOptions o, boolean dsiSettings, long commitRows) throws SQLException
   {
      final Properties p = new Properties();
      if (dsiSettings && o.db == Db.POSTGRESQL) {
         p.setProperty("reWriteBatchedInserts", "true"); // what ReplicationServer.connect sets on a replicate connection
      }
      try (Connection c = DriverManager.getConnection(raw.url, p)) {
         final Cpu cpu = Cpu.ofCurrentThread(c, raw.db);
         final long t0 = System.nanoTime();
         insertRows(c, table, 1, o.rows, o.txRows, commitRows);
         final double rate = o.rows / ((System.nanoTime() - t0) / 1e9);
         lastRawCpu = cpu.since();
         return rate;
      }
   }

   private static String lastRawCpu = "";

   /**
    * CPU seconds used by one client thread of this JVM and by the PostgreSQL backend serving it (from
    * /proc, Linux with the server on this machine; shown as "?" where unavailable).
    */
   private static final class Cpu
   {
      private static final double TICK = 100.0; // USER_HZ
      private final long threadId;
      private final long backendPid;
      private final long thread0;
      private final long backend0;

      private Cpu(long threadId, long backendPid)
      {
         this.threadId = threadId;
         this.backendPid = backendPid;
         this.thread0 = threadCpu();
         this.backend0 = backendTicks();
      }

      static Cpu ofCurrentThread(Connection c, Db db)
      {
         long pid = -1;
         if (db == Db.POSTGRESQL) {
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT pg_backend_pid()")) {
               rs.next();
               pid = rs.getLong(1);
            }
            catch (SQLException ignored) {
               // no split then
            }
         }
         return new Cpu(Thread.currentThread().getId(), pid);
      }

      static Cpu ofThread(String threadName, BenchDatabase d, String applicationName)
      {
         long tid = -1;
         for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().equals(threadName)) {
               tid = t.getId();
            }
         }
         long pid = -1;
         if (d.db == Db.POSTGRESQL) {
            try (Connection c = d.plain();
                 PreparedStatement ps = c.prepareStatement("SELECT pid FROM pg_stat_activity WHERE datname = ? AND application_name LIKE ?")) {
               ps.setString(1, d.name);
               ps.setString(2, applicationName);
               try (ResultSet rs = ps.executeQuery()) {
                  if (rs.next()) {
                     pid = rs.getLong(1);
                  }
               }
            }
            catch (SQLException ignored) {
               // no split then
            }
         }
         return new Cpu(tid, pid);
      }

      private long threadCpu()
      {
         final var mx = java.lang.management.ManagementFactory.getThreadMXBean();
         return threadId < 0 || !mx.isThreadCpuTimeSupported() ? -1 : mx.getThreadCpuTime(threadId);
      }

      private long backendTicks()
      {
         if (backendPid < 0) {
            return -1;
         }
         try {
            final String stat = Files.readString(Path.of("/proc/" + backendPid + "/stat"));
            final String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime + stime (fields 14 and 15)
         }
         catch (IOException | RuntimeException e) {
            return -1;
         }
      }

      String since()
      {
         final long t = threadCpu();
         final long b = backendTicks();
         return String.format(Locale.ROOT, "client thread %s s, database backend %s s",
                              t < 0 || thread0 < 0 ? "?" : String.format(Locale.ROOT, "%.2f", (t - thread0) / 1e9),
                              b < 0 || backend0 < 0 ? "?" : String.format(Locale.ROOT, "%.2f", (b - backend0) / TICK));
      }
   }

   /** Rows first..first+n-1, one batch per {@code perBatch} rows, a commit every {@code commitRows} rows (a multiple of perBatch) and at the end. */
   private static void insertRows(Connection c, String table, long first, long n, int perBatch, long commitRows) throws SQLException
   {
      c.setAutoCommit(false);
      final long base = Timestamp.valueOf("2026-01-01 00:00:00").getTime();
      final long end = first + n - 1;
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + table + " (id, k, amount, note, created) VALUES (?, ?, ?, ?, ?)")) {
         for (long id = first; id <= end; id++) {
            ps.setLong(1, id);
            ps.setInt(2, (int) (id % 1000));
            ps.setBigDecimal(3, BigDecimal.valueOf(id * 37 % 1_000_000, 2));
            ps.setString(4, "row " + id + " of the apply benchmark");
            ps.setTimestamp(5, new Timestamp(base + id * 1000));
            ps.addBatch();
            final long written = id - first + 1;
            if (written % perBatch == 0 || id == end) {
               ps.executeBatch();
               if (written % commitRows == 0 || id == end) {
                  c.commit();
               }
            }
         }
      }
   }

   private static void awaitQueued(ControlDb control, long txs, long timeoutMs) throws SQLException, InterruptedException
   {
      final long deadline = System.currentTimeMillis() + timeoutMs;
      long queued = 0;
      while (System.currentTimeMillis() < deadline) {
         for (ControlDb.Site s : control.sites()) {
            if (s.name().equals(SITE)) {
               queued = s.queued();
               if (s.error() != null) {
                  throw new IllegalStateException("the log reader of " + SITE + " reports: " + s.error());
               }
            }
         }
         if (queued >= txs) {
            return;
         }
         Thread.sleep(20);
      }
      throw new IllegalStateException("the log reader queued " + queued + " of " + txs + " transactions in " + timeoutMs / 1000 + " s");
   }

   // ---------------------------------------------------------------- part 2

   private static LagResult lag(ApplyBenchOptions o, PrintStream out, BenchDatabase primary, BenchDatabase replicate) throws Exception
   {
      final long periodNanos = (long) (1e9 / o.rate);
      final long warmupTx = (long) Math.ceil(o.warmupSeconds * o.rate);
      final long total = warmupTx + (long) Math.ceil(o.seconds * o.rate);
      if (total >= Integer.MAX_VALUE - 1) {
         throw new IllegalArgumentException("--rate x (--seconds + --warmup) is too large");
      }
      final long[] commitNanos = new long[(int) total + 1]; // by id; 0: not committed (yet)
      final long[] seenNanos = new long[(int) total + 1];
      final boolean[] failed = new boolean[(int) total + 1];
      final AtomicLong next = new AtomicLong(1);
      final AtomicLong failures = new AtomicLong();
      final AtomicReference<Throwable> error = new AtomicReference<>();
      final HikariConfig hc = new HikariConfig();
      hc.setPoolName("applybench");
      hc.setJdbcUrl(primary.replkitUrl());
      hc.addDataSourceProperty("replkit.site", SITE);
      hc.setAutoCommit(false);
      hc.setMaximumPoolSize(o.clients);
      hc.setMinimumIdle(o.clients);
      out.printf(Locale.ROOT, "part 2: %.0f tx/s (1 insert + 1 update each) through HikariCP + jdbc:replkit:, %d clients, %.1f s warm-up + %.1f s measured%n",
                 o.rate, o.clients, o.warmupSeconds, o.seconds);
      final long start;
      final Thread poller;
      final AtomicLong polls = new AtomicLong();
      final boolean[] stop = new boolean[1];
      try (HikariDataSource pool = new HikariDataSource(hc)) {
         // the poller reads what is new at the replicate: ids from the lowest one not seen yet
         poller = new Thread(() -> {
            try (Connection c = replicate.plain(); PreparedStatement ps = c.prepareStatement("SELECT id FROM lag_event WHERE id >= ?")) {
               c.setAutoCommit(true);
               int low = 1;
               final long probe = (long) (o.probeMs * 1_000_000);
               long quietUntil = 0;
               while (true) {
                  ps.setLong(1, low);
                  try (ResultSet rs = ps.executeQuery()) {
                     final long now = System.nanoTime();
                     while (rs.next()) {
                        final int id = (int) rs.getLong(1);
                        if (seenNanos[id] == 0) {
                           seenNanos[id] = now;
                        }
                     }
                  }
                  polls.incrementAndGet();
                  while (low <= total && (seenNanos[low] != 0 || failed[low])) {
                     low++;
                  }
                  if (low > total) {
                     return;
                  }
                  synchronized (stop) {
                     if (stop[0]) {
                        if (quietUntil == 0) {
                           quietUntil = System.nanoTime() + 60_000_000_000L;
                        }
                        else if (System.nanoTime() > quietUntil) {
                           return; // what is still missing is reported
                        }
                     }
                  }
                  LockSupport.parkNanos(probe);
               }
            }
            catch (Throwable e) {
               error.compareAndSet(null, e);
            }
         }, "applybench-poller");
         poller.setDaemon(true);
         poller.start();
         final List<Thread> workers = new ArrayList<>();
         start = System.nanoTime() + 50_000_000;
         for (int t = 0; t < o.clients; t++) {
            final Thread w = new Thread(() -> {
               try {
                  while (error.get() == null) {
                     final long id = next.getAndIncrement();
                     if (id > total) {
                        return;
                     }
                     final long due = start + (id - 1) * periodNanos; // paced: transaction i is due at start + i / rate
                     long wait;
                     while ((wait = due - System.nanoTime()) > 0) {
                        LockSupport.parkNanos(wait);
                     }
                     try (Connection c = pool.getConnection();
                          PreparedStatement ins = c.prepareStatement("INSERT INTO lag_event (id, k, note) VALUES (?, ?, ?)");
                          PreparedStatement upd = c.prepareStatement("UPDATE lag_hot SET n = n + 1, last_id = ? WHERE k = ?")) {
                        try {
                           ins.setLong(1, id);
                           ins.setInt(2, (int) (id % HOT_ROWS));
                           ins.setString(3, "event " + id);
                           ins.executeUpdate();
                           upd.setLong(1, id);
                           upd.setInt(2, (int) (id % HOT_ROWS));
                           upd.executeUpdate();
                           c.commit();
                           commitNanos[(int) id] = System.nanoTime();
                        }
                        catch (SQLException e) {
                           failed[(int) id] = true;
                           c.rollback();
                           if (failures.incrementAndGet() > 100) {
                              throw e;
                           }
                        }
                     }
                  }
               }
               catch (Throwable e) {
                  error.compareAndSet(null, e);
               }
            }, "applybench-client-" + t);
            w.setDaemon(true);
            workers.add(w);
            w.start();
         }
         for (Thread w : workers) {
            w.join();
         }
      }
      synchronized (stop) {
         stop[0] = true;
      }
      poller.join();
      if (error.get() != null) {
         throw new IllegalStateException("part 2 failed: " + error.get(), error.get());
      }
      final long measureFrom = start + (long) (o.warmupSeconds * 1e9);
      final List<Double> lags = new ArrayList<>();
      long committed = 0;
      long inWindow = 0;
      long lastMeasured = 0;
      long seen = 0;
      long missing = 0;
      for (int id = 1; id <= total; id++) {
         if (commitNanos[id] == 0) {
            continue;
         }
         committed++;
         if (seenNanos[id] != 0) {
            seen++;
         }
         else {
            missing++;
         }
         if (id > warmupTx) { // due in the measured window (open loop: a late transaction still counts, with its lag)
            inWindow++;
            lastMeasured = Math.max(lastMeasured, commitNanos[id]);
            if (seenNanos[id] != 0) {
               lags.add(Math.max(0, seenNanos[id] - commitNanos[id]) / 1e6); // seen before commit() returned: the poll raced the reply
            }
         }
      }
      if (o.lagTrace != null) {
         try (PrintStream trace = new PrintStream(Files.newOutputStream(Path.of(o.lagTrace)), false, java.nio.charset.StandardCharsets.UTF_8)) {
            trace.println("id,commit_ms,lag_ms");
            for (int id = 1; id <= total; id++) {
               if (commitNanos[id] != 0 && seenNanos[id] != 0) {
                  trace.printf(Locale.ROOT, "%d,%.3f,%.3f%n", id, (commitNanos[id] - start) / 1e6, (seenNanos[id] - commitNanos[id]) / 1e6);
               }
            }
         }
      }
      if (missing > 0) {
         throw new IllegalStateException(missing + " committed transactions never appeared at the replicate within 60 s");
      }
      final double[] sorted = lags.stream().mapToDouble(Double::doubleValue).sorted().toArray();
      // the achieved rate: the measured transactions over the window, or until the last of them committed when the clients fell behind
      final double windowSeconds = Math.max(o.seconds, (lastMeasured - measureFrom) / 1e9);
      final LagResult r = new LagResult(o.rate, inWindow / windowSeconds, inWindow, committed, failures.get(), seen,
                                        pct(sorted, 50), pct(sorted, 90), pct(sorted, 99), sorted.length == 0 ? Double.NaN : sorted[sorted.length - 1],
                                        Arrays.stream(sorted).average().orElse(Double.NaN), count(replicate, "lag_event"), count(primary, "lag_event"));
      out.printf(Locale.ROOT, "part 2: achieved %.1f tx/s in the measured window (%d tx, %d polls of the replicate, %d failed); lag ms p50 %.1f  p90 %.1f  p99 %.1f  max %.1f  mean %.1f%n",
                 r.achievedRate(), r.measured(), polls.get(), r.failed(), r.p50(), r.p90(), r.p99(), r.max(), r.mean());
      return r;
   }

   static double pct(double[] sorted, double p)
   {
      if (sorted.length == 0) {
         return Double.NaN;
      }
      final int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
      return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
   }

   // ---------------------------------------------------------------- helpers

   private static void printSummary(PrintStream out, ApplyBenchOptions o, ApplyResult a, LagResult l)
   {
      out.println();
      out.printf(Locale.ROOT, "apply %.0f rows/s (from resume; %.0f from the first applied group) vs raw batch insert %.0f rows/s (DSI's settings and"
                              + " commit grouping), %.0f (DSI's settings, commit per batch), %.0f (driver defaults, commit per batch)%n",
                 a.applyRowsPerSec(), a.applyFirstToLastRowsPerSec(), a.rawGroupedRowsPerSec(), a.rawSameSettingsRowsPerSec(), a.rawRowsPerSec());
      out.printf(Locale.ROOT, "ratio apply/raw %.3f (median of %d rounds each; per round: %s; first group to last: %.3f; vs commit per batch: %.3f,"
                              + " driver defaults: %.3f); target >= 0.7: %s%n",
                 a.ratio(), a.rounds(), a.roundRatios().stream().map(x -> String.format(Locale.ROOT, "%.3f", x)).collect(java.util.stream.Collectors.joining(", ")),
                 a.applyFirstToLastRowsPerSec() / a.rawGroupedRowsPerSec(), a.applyRowsPerSec() / a.rawSameSettingsRowsPerSec(),
                 a.applyRowsPerSec() / a.rawRowsPerSec(), a.ratio() >= 0.7 ? "met" : "NOT met");
      out.printf(Locale.ROOT, "lag at %.1f tx/s (target %.0f): p50 %.1f ms, p99 %.1f ms, max %.1f ms; target p99 < 200 ms: %s%n", l.achievedRate(),
                 l.targetRate(), l.p50(), l.p99(), l.max(), l.p99() < 200 && l.achievedRate() >= 0.95 * l.targetRate() ? "met"
                                                                        : l.p99() < 200 ? "met, but below the target rate" : "NOT met");
      final boolean consistent = a.replicateRows() == a.rows() * a.rounds() && a.rawRows() == a.rows() && l.replicateRows() == l.committed()
                                 && l.primaryRows() == l.committed() && l.seen() == l.committed();
      out.printf(Locale.ROOT, "check: part 1 replicate rows %d, raw rows %d, of %d per round; part 2 committed %d, primary rows %d, replicate rows %d, seen %d%s%n",
                 a.replicateRows(), a.rawRows(), a.rows(), l.committed(), l.primaryRows(), l.replicateRows(), l.seen(),
                 consistent ? " (consistent)" : " (INCONSISTENT)");
      out.printf(Locale.ROOT, "RESULT db=%s rows=%d tx_rows=%d apply_rows_s=%.0f raw_rows_s=%.0f raw_commit_per_batch_rows_s=%.0f ratio=%.3f rate=%.0f achieved=%.1f lag_p50_ms=%.1f lag_p99_ms=%.1f lag_max_ms=%.1f%n",
                 o.db.name().toLowerCase(Locale.ROOT), a.rows(), a.txRows(), a.applyRowsPerSec(), a.rawGroupedRowsPerSec(), a.rawSameSettingsRowsPerSec(),
                 a.ratio(), l.targetRate(), l.achievedRate(), l.p50(), l.p99(), l.max());
   }

   private static void createTables(BenchDatabase d, boolean replicated) throws SQLException
   {
      final String engine = d.db == Db.MARIADB ? " ENGINE=InnoDB" : "";
      final String ts = d.db == Db.MARIADB ? "DATETIME(6)" : "TIMESTAMP";
      try (Connection c = d.plain(); Statement st = c.createStatement()) {
         c.setAutoCommit(true);
         final List<String> tables = replicated ? List.of("apply_rows") : List.of("raw_default", "raw_dsi_settings", "raw_dsi_grouping");
         for (String t : tables) { // the same definition everywhere
            st.execute("CREATE TABLE " + t + " (id BIGINT NOT NULL PRIMARY KEY, k INT NOT NULL, amount DECIMAL(12,2), note VARCHAR(60), created "
                       + ts + ")" + engine);
         }
         if (replicated) {
            st.execute("CREATE TABLE lag_event (id BIGINT NOT NULL PRIMARY KEY, k INT NOT NULL, note VARCHAR(40))" + engine);
            st.execute("CREATE TABLE lag_hot (k INT NOT NULL PRIMARY KEY, n BIGINT NOT NULL, last_id BIGINT)" + engine);
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO lag_hot (k, n, last_id) VALUES (?, 0, 0)")) {
               for (int k = 0; k < HOT_ROWS; k++) {
                  ps.setInt(1, k);
                  ps.addBatch();
               }
               ps.executeBatch();
            }
         }
      }
   }

   private static Connection replkit(BenchDatabase d) throws SQLException
   {
      final Properties p = new Properties();
      p.setProperty("replkit.site", SITE);
      return DriverManager.getConnection(d.replkitUrl(), p);
   }

   private static long maxId(PreparedStatement ps) throws SQLException
   {
      try (ResultSet rs = ps.executeQuery()) {
         rs.next();
         return rs.getLong(1);
      }
   }

   private static long count(BenchDatabase d, String table) throws SQLException
   {
      try (Connection c = d.plain(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM " + table)) {
         rs.next();
         return rs.getLong(1);
      }
   }

   private static void cleanup(AtomicReference<ReplicationServer> running, List<BenchDatabase> created, Path dir, boolean keep)
   {
      final ReplicationServer s = running.getAndSet(null);
      if (s != null) {
         try {
            s.close();
         }
         catch (RuntimeException e) {
            System.err.println("could not stop the replication server: " + e.getMessage());
         }
      }
      if (!keep) {
         for (BenchDatabase d : created) {
            try {
               d.close();
            }
            catch (SQLException e) {
               System.err.println("could not drop benchmark database " + d.name + ": " + e.getMessage());
            }
         }
      }
      try (Stream<Path> files = Files.walk(dir)) {
         files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
      catch (IOException | RuntimeException ignored) {
         // a temporary directory: the OS cleans it eventually
      }
   }
}
