package org.replkit.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import org.replkit.bench.BenchOptions.Db;
import org.replkit.bench.TpcbWorkload.PhaseResult;

import java.io.PrintStream;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Collectors;

/**
 * TPC-B-like throughput through HikariCP with the raw driver and with ReplKit, in one run, on two fresh
 * databases of the same server, alternating the sides round by round. Prints tps per round and side and
 * the ratio replkit/raw. See benchmarks/README.md.
 */
public final class TpcbBench
{
   static final String RAW = "raw";
   static final String REPLKIT = "replkit";
   static final String SITE = "bench";

   /** One measured phase: which round, which side. */
   public record Phase(int round, String side, PhaseResult result)
   {
   }

   /** What a run measured. */
   public record Report(List<Phase> phases, double rawTps, double replkitTps, double ratio,
                        long rawCommitted, long rawHistoryRows, long replkitCommitted, long replkitHistoryRows, long capturedCommits,
                        CaptureModel.BeforeImageCheck beforeImages, long triggerCapturedRows)
   {
      public List<Double> tps(String side)
      {
         return tpsOf(phases, side);
      }
   }

   private TpcbBench()
   {
   }

   public static void main(String[] args)
   {
      final BenchOptions o;
      try {
         o = BenchOptions.parse(args);
      }
      catch (IllegalArgumentException e) {
         System.err.println(e.getMessage());
         System.exit(2);
         return;
      }
      if (o.help) {
         System.out.println(BenchOptions.USAGE);
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

   public static Report run(BenchOptions o, PrintStream out) throws SQLException, InterruptedException
   {
      out.printf(Locale.ROOT, "TPC-B-like through HikariCP, raw vs jdbc:replkit:  %s%n", o);
      out.printf(Locale.ROOT, "JVM %s, %d cores%n", System.getProperty("java.version"), Runtime.getRuntime().availableProcessors());
      final String suffix = Long.toString(ThreadLocalRandom.current().nextLong() & 0xffffffffL, 36);
      final List<BenchDatabase> created = new ArrayList<>();
      final Thread dropOnExit = new Thread(() -> created.forEach(TpcbBench::closeQuietly), "tpcb-drop-databases");
      if (!o.keep) {
         Runtime.getRuntime().addShutdownHook(dropOnExit); // Ctrl-C must not leave the databases behind
      }
      try {
         final BenchDatabase raw = BenchDatabase.create(o.db, o.urlBase, "rkbench_raw_" + suffix);
         created.add(raw);
         final BenchDatabase rk = BenchDatabase.create(o.db, o.urlBase, "rkbench_rk_" + suffix);
         created.add(rk);
         // Both loaded through plain connections before any jdbc:replkit: connection: that one installs
         // the capture triggers, which then refuse writes from plain connections.
         for (BenchDatabase d : List.of(raw, rk)) {
            final long t0 = System.nanoTime();
            d.load(o);
            out.printf(Locale.ROOT, "loaded %s in %.1f s%n", d.name, (System.nanoTime() - t0) / 1e9);
         }
         out.println("server: " + raw.describeServer());
         if (o.capture.isModel()) {
            try (Connection c = rk.plain()) {
               o.capture.install(c);
            }
            out.println("the replkit side is a model of capture, not ReplKit's driver: --capture " + o.capture.option
                        + " over the plain driver (see CaptureModel)");
         }
         final Report report;
         try (HikariDataSource rawPool = pool(RAW, raw.url, o, Map.of(), null);
              HikariDataSource rkPool = o.capture.isModel()
                                        ? pool(REPLKIT, rk.url, o, Map.of(), CaptureModel.sessionInitSql())
                                        : pool(REPLKIT, rk.replkitUrl(), o, replkitProperties(o), null)) {
            report = measure(o, out, raw, rk, rawPool, rkPool);
         }
         if (o.keep) {
            out.println("kept the databases: " + raw.url + " and " + rk.url);
         }
         return report;
      }
      finally {
         if (!o.keep) {
            created.forEach(TpcbBench::closeQuietly);
            try {
               Runtime.getRuntime().removeShutdownHook(dropOnExit);
            }
            catch (IllegalStateException shuttingDown) {
               // the hook is running or has run
            }
         }
      }
   }

   private static Map<String, String> replkitProperties(BenchOptions o)
   {
      final Map<String, String> p = new java.util.LinkedHashMap<>();
      p.put("replkit.site", SITE);
      p.putAll(o.replkitProps);
      return p;
   }

   private static Report measure(BenchOptions o, PrintStream out, BenchDatabase raw, BenchDatabase rk,
                                 HikariDataSource rawPool, HikariDataSource rkPool) throws SQLException, InterruptedException
   {
      final TpcbWorkload workload = new TpcbWorkload(o);
      TpcbWorkload.Transaction replkitSide = TpcbWorkload.PGBENCH;
      if (o.capture.isModel()) {
         try (Connection c = rk.plain()) {
            replkitSide = o.capture.transaction(c);
         }
      }
      final List<Phase> phases = new ArrayList<>();
      long rawCommitted = 0;
      long rkCommitted = 0;
      for (int round = 1; round <= o.rounds; round++) {
         // odd rounds raw first, even rounds replkit first: drift (autovacuum, table growth, page cache) hits both sides alike
         final List<String> order = round % 2 == 1 ? List.of(RAW, REPLKIT) : List.of(REPLKIT, RAW);
         for (String side : order) {
            final boolean isRaw = side.equals(RAW);
            (isRaw ? raw : rk).settle();
            final PhaseResult r = isRaw ? workload.run(rawPool, TpcbWorkload.PGBENCH, o.clients, o.warmupSeconds, o.seconds)
                                        : workload.run(rkPool, replkitSide, o.clients, o.warmupSeconds, o.seconds);
            if (isRaw) {
               rawCommitted += r.allCommitted();
            }
            else {
               rkCommitted += r.allCommitted();
            }
            phases.add(new Phase(round, side, r));
            out.printf(Locale.ROOT, "round %d  %-7s  tps %9.1f  (%d tx in %.1f s, %d aborted)  latency ms: mean %.2f  p50 %.2f  p95 %.2f  p99 %.2f  machine cpu us/tx %.0f%n",
                       round, side, r.tps(), r.transactions(), r.seconds(), r.aborted(), r.meanMillis(), r.percentileMillis(50),
                       r.percentileMillis(95), r.percentileMillis(99), r.cpuMicrosPerTx());
         }
      }
      final String logSchema = switch (o.db) {
         case POSTGRESQL -> "replkit";
         case H2 -> "\"replkit\"";
         case MARIADB -> "replkit_" + rk.name;
      };
      final String commitTable = o.capture.isModel() ? CaptureModel.SCHEMA + ".log" : o.db == Db.H2 ? logSchema + ".\"rk_commit\"" : logSchema + ".rk_commit";
      final double rawTps = TpcbWorkload.median(tpsOf(phases, RAW));
      final double rkTps = TpcbWorkload.median(tpsOf(phases, REPLKIT));
      CaptureModel.BeforeImageCheck beforeImages = null;
      long triggerRows = -1;
      if (o.capture.isModel()) {
         try (Connection c = rk.plain()) {
            if (o.capture.hasBeforeImages()) {
               beforeImages = CaptureModel.checkBeforeImages(c);
            }
            triggerRows = CaptureModel.triggerCapturedRows(c);
         }
      }
      final Report done = new Report(phases, rawTps, rkTps, rkTps / rawTps, rawCommitted, count(raw, "history"),
                                     rkCommitted, count(rk, "history"), count(rk, commitTable), beforeImages, triggerRows);
      printSummary(out, o, done);
      return done;
   }

   private static List<Double> cpuOf(List<Phase> phases, String side)
   {
      return phases.stream().filter(p -> p.side().equals(side) && !Double.isNaN(p.result().cpuMicrosPerTx()))
                   .map(p -> p.result().cpuMicrosPerTx()).collect(Collectors.toList());
   }

   static List<Double> tpsOf(List<Phase> phases, String side)
   {
      return phases.stream().filter(p -> p.side().equals(side)).map(p -> p.result().tps()).collect(Collectors.toList());
   }

   private static void printSummary(PrintStream out, BenchOptions o, Report r)
   {
      out.println();
      for (String side : List.of(RAW, REPLKIT)) {
         final List<Double> tps = r.tps(side);
         out.printf(Locale.ROOT, "%-7s tps  median %9.1f  mean %9.1f  rounds: %s%n", side, TpcbWorkload.median(tps),
                    tps.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN),
                    tps.stream().map(t -> String.format(Locale.ROOT, "%.1f", t)).collect(Collectors.joining(", ")));
      }
      final List<String> perRound = new ArrayList<>();
      for (int round = 1; round <= o.rounds; round++) {
         final int n = round;
         final double rawTps = r.phases().stream().filter(p -> p.round() == n && p.side().equals(RAW)).findFirst().orElseThrow().result().tps();
         final double rkTps = r.phases().stream().filter(p -> p.round() == n && p.side().equals(REPLKIT)).findFirst().orElseThrow().result().tps();
         perRound.add(String.format(Locale.ROOT, "%.3f", rkTps / rawTps));
      }
      out.printf(Locale.ROOT, "ratio replkit/raw %.3f (median tps of each side); per round: %s; target >= 0.85: %s%n",
                 r.ratio(), String.join(", ", perRound), r.ratio() >= 0.85 ? "met" : "NOT met");
      final double rawCpu = TpcbWorkload.median(cpuOf(r.phases(), RAW));
      final double rkCpu = TpcbWorkload.median(cpuOf(r.phases(), REPLKIT));
      if (!Double.isNaN(rawCpu) && !Double.isNaN(rkCpu)) {
         // steadier than tps on a shared machine: what the ratio would be if CPU were all that limited both sides
         out.printf(Locale.ROOT, "machine cpu per transaction (median): raw %.0f us, replkit %.0f us; raw/replkit %.3f%n", rawCpu, rkCpu, rawCpu / rkCpu);
      }
      // sanity: every committed transaction left a history row, and ReplKit recorded each replkit-side commit
      // (not with --replkit-props, which may exclude tables from capture on purpose)
      final boolean logChecked = o.replkitProps.isEmpty();
      final boolean consistent = r.rawCommitted() == r.rawHistoryRows() && r.replkitCommitted() == r.replkitHistoryRows()
                                 && (!logChecked || r.replkitCommitted() == r.capturedCommits());
      out.printf(Locale.ROOT, "check: raw committed %d, history rows %d; replkit committed %d, history rows %d, change-log commits %d%s%s%n",
                 r.rawCommitted(), r.rawHistoryRows(), r.replkitCommitted(), r.replkitHistoryRows(), r.capturedCommits(),
                 logChecked ? "" : " (not compared: --replkit-props given)", consistent ? " (consistent)" : " (INCONSISTENT)");
      if (r.beforeImages() != null) {
         out.printf(Locale.ROOT, "before images: %d updates of the hot rows (branches, tellers) checked against the previous after image in commit order, %d wrong%s%n",
                    r.beforeImages().checked(), r.beforeImages().broken(), r.beforeImages().broken() == 0 ? "" : " (the model's before images are NOT exact)");
      }
      if (r.triggerCapturedRows() >= 0) {
         out.printf(Locale.ROOT, "row trigger: %d rows captured by a row trigger%s%n", r.triggerCapturedRows(),
                    r.triggerCapturedRows() == 0 ? " (no row captured twice)" : " (captured twice: the model is wrong)");
      }
      out.printf(Locale.ROOT, "RESULT db=%s capture=%s scale=%d clients=%d seconds=%s rounds=%d raw_tps=%.1f replkit_tps=%.1f ratio=%.3f%n",
                 o.db.name().toLowerCase(Locale.ROOT), o.capture.option, o.scale, o.clients, o.seconds, o.rounds, r.rawTps(), r.replkitTps(), r.ratio());
   }

   private static long count(BenchDatabase d, String table) throws SQLException
   {
      try (Connection c = d.plain(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM " + table)) {
         rs.next();
         return rs.getLong(1);
      }
   }

   static HikariDataSource pool(String name, String url, BenchOptions o, Map<String, String> properties, String connectionInitSql)
   {
      final HikariConfig cfg = new HikariConfig();
      cfg.setConnectionInitSql(connectionInitSql);
      cfg.setPoolName(name);
      cfg.setJdbcUrl(url);
      cfg.setAutoCommit(false);
      cfg.setMaximumPoolSize(o.pool);
      cfg.setMinimumIdle(o.pool);
      cfg.setConnectionTimeout(30_000);
      properties.forEach(cfg::addDataSourceProperty);
      return new HikariDataSource(cfg);
   }

   private static void closeQuietly(BenchDatabase d)
   {
      try {
         d.close();
      }
      catch (SQLException e) {
         System.err.println("could not drop benchmark database " + d.name + ": " + e.getMessage());
      }
   }
}
