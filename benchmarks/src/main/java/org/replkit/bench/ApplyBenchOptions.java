package org.replkit.bench;

import org.replkit.bench.BenchOptions.Db;

import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Settings of one {@link ApplyBench} run: as arguments ({@code --rows 200000} or {@code --rows=200000})
 * or as system properties ({@code -Dbench.rows=200000}); arguments win.
 */
public final class ApplyBenchOptions
{
   static final String USAGE = String.join("\n",
      "Replication server apply throughput against a raw JDBC batch insert, and end-to-end lag at a fixed load, in one run.",
      "",
      "Options (also as system properties -Dbench.<name>=<value>):",
      "  --db postgresql|mariadb|h2   database server (default postgresql)",
      "  --url-base URL               admin JDBC URL; three fresh databases (primary, replicate, raw) are created",
      "                               next to its database and dropped at the end (default per --db, e.g.",
      "                               " + Db.POSTGRESQL.defaultUrlBase + ")",
      "  --rows N                     part 1: rows committed at the primary, then applied (default 200000)",
      "  --tx-rows N                  part 1: rows per primary transaction = raw insert batch size (default 100)",
      "  --rounds N                   part 1: rounds of apply and grouped raw insert; medians are compared (default 3)",
      "  --rate N                     part 2: paced transactions per second (default 500)",
      "  --seconds S                  part 2: measured seconds (default 20)",
      "  --warmup S                   part 2: seconds at the same rate before measuring, not counted (default 2)",
      "  --clients N                  part 2: worker threads = HikariCP pool size (default 8)",
      "  --probe-ms MS                part 2: how often the replicate is polled for new rows (default 1)",
      "  --reader-poll-ms MS          the log reader's pollMillis (default 50, as in replkit.yaml)",
      "  --group-transactions N       the connection's groupTransactions (default 50, as in replkit.yaml)",
      "  --group-rows N               the connection's groupRows (default 5000, as in replkit.yaml)",
      "  --lag-trace FILE             part 2: write one line per transaction (id, commit ms since start, lag ms)",
      "  --keep                       do not drop the databases at the end (prints their URLs)",
      "  --help");

   Db db = Db.POSTGRESQL;
   String urlBase;
   long rows = 200_000;
   int txRows = 100;
   int rounds = 3;
   double rate = 500;
   double seconds = 20;
   double warmupSeconds = 2;
   int clients = 8;
   double probeMs = 1;
   long readerPollMs = 50;
   int groupTransactions = 50;
   int groupRows = 5000;
   String lagTrace;
   boolean keep;
   boolean help;

   public static ApplyBenchOptions parse(String... args)
   {
      final Map<String, String> given = BenchArgs.collect(args, Set.of("keep", "help"), USAGE);
      final ApplyBenchOptions o = new ApplyBenchOptions();
      for (Map.Entry<String, String> e : given.entrySet()) {
         o.set(e.getKey(), e.getValue().trim());
      }
      return o.validated();
   }

   private void set(String name, String v)
   {
      switch (name) {
         case "db" -> db = Db.valueOf(v.toUpperCase(Locale.ROOT));
         case "url-base" -> urlBase = v;
         case "rows" -> rows = Long.parseLong(v);
         case "tx-rows" -> txRows = Integer.parseInt(v);
         case "rate" -> rate = Double.parseDouble(v);
         case "seconds" -> seconds = Double.parseDouble(v);
         case "warmup" -> warmupSeconds = Double.parseDouble(v);
         case "clients" -> clients = Integer.parseInt(v);
         case "probe-ms" -> probeMs = Double.parseDouble(v);
         case "reader-poll-ms" -> readerPollMs = Long.parseLong(v);
         case "group-transactions" -> groupTransactions = Integer.parseInt(v);
         case "group-rows" -> groupRows = Integer.parseInt(v);
         case "rounds" -> rounds = Integer.parseInt(v);
         case "lag-trace" -> lagTrace = v;
         case "keep" -> keep = Boolean.parseBoolean(v);
         case "help" -> help = Boolean.parseBoolean(v);
         default -> throw new IllegalArgumentException("unknown option --" + name + "\n\n" + USAGE);
      }
   }

   private ApplyBenchOptions validated()
   {
      if (urlBase == null || urlBase.isBlank()) {
         urlBase = db.defaultUrlBase;
      }
      if (rows < 1 || txRows < 1 || rate <= 0 || seconds <= 0 || warmupSeconds < 0 || clients < 1 || probeMs <= 0 || readerPollMs < 1
          || groupTransactions < 1 || groupRows < 1 || rounds < 1) {
         throw new IllegalArgumentException("--rows, --tx-rows, --rate, --seconds, --clients, --probe-ms, --reader-poll-ms, --rounds and the group sizes must be"
                                            + " positive, --warmup not negative\n\n" + USAGE);
      }
      return this;
   }

   @Override
   public String toString()
   {
      return "db=" + db.name().toLowerCase(Locale.ROOT) + " rows=" + rows + " tx-rows=" + txRows + " rate=" + rate + "/s seconds=" + seconds
             + " warmup=" + warmupSeconds + " clients=" + clients + " probe-ms=" + probeMs + " reader-poll-ms=" + readerPollMs
             + " group-transactions=" + groupTransactions + " group-rows=" + groupRows + " rounds=" + rounds;
   }
}
