package org.replkit.bench;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Settings of one benchmark run. Each option can be given as a command-line argument
 * ({@code --seconds 20} or {@code --seconds=20}) or as a system property ({@code -Dbench.seconds=20});
 * arguments win.
 */
public final class BenchOptions
{
   /** Which database server: decides the admin URL, the DDL and how the data is generated. */
   public enum Db
   {
      POSTGRESQL("jdbc:postgresql://127.0.0.1:5432/test?user=postgres"),
      MARIADB("jdbc:mariadb://127.0.0.1:3306/test?user=root&password="),
      H2("jdbc:h2:mem:");

      final String defaultUrlBase;

      Db(String defaultUrlBase)
      {
         this.defaultUrlBase = defaultUrlBase;
      }
   }

   static final String USAGE = String.join("\n",
      "TPC-B-like throughput through HikariCP: the raw driver against jdbc:replkit:, alternating, in one run.",
      "",
      "Options (also as system properties -Dbench.<name>=<value>):",
      "  --db postgresql|mariadb|h2   database server (default postgresql)",
      "  --url-base URL               admin JDBC URL of the server; two fresh databases are created next to its",
      "                               database and dropped at the end (default per --db, e.g.",
      "                               " + Db.POSTGRESQL.defaultUrlBase + ")",
      "  --scale N                    branches; tellers = 10 N, accounts = N * --accounts-per-branch (default 10)",
      "  --accounts-per-branch N      accounts per branch (default 100000, as pgbench)",
      "  --clients N                  worker threads (default 4)",
      "  --pool N                     HikariCP maximumPoolSize (default = --clients)",
      "  --warmup S                   seconds of warm-up before each measured phase (default 5)",
      "  --seconds S                  measured seconds per phase (default 20)",
      "  --rounds N                   rounds; each round measures raw then replkit, or replkit then raw on odd",
      "                               rounds, to cancel drift (default 2)",
      "  --replkit-props k=v,k=v      extra ReplKit settings for the replkit side, e.g. replkit.exclude=*",
      "  --capture MODEL              replkit (default): the replkit side is ReplKit's driver; returning-set,",
      "                               returning-join, returning-after-only, statement-capture, statement-only:",
      "                               a hand-written model of capture without per-row triggers over the plain",
      "                               driver (PostgreSQL only; see CaptureModel)",
      "  --keep                       do not drop the two databases at the end (prints their URLs)",
      "  --help");

   Db db = Db.POSTGRESQL;
   String urlBase;
   int scale = 10;
   int accountsPerBranch = 100_000;
   int clients = 4;
   int pool = -1;
   double warmupSeconds = 5;
   double seconds = 20;
   int rounds = 2;
   final Map<String, String> replkitProps = new LinkedHashMap<>();
   CaptureModel capture = CaptureModel.REPLKIT;
   boolean keep;
   boolean help;

   public static BenchOptions parse(String... args)
   {
      final Map<String, String> given = BenchArgs.collect(args, Set.of("keep", "help"), USAGE);
      final BenchOptions o = new BenchOptions();
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
         case "scale" -> scale = Integer.parseInt(v);
         case "accounts-per-branch" -> accountsPerBranch = Integer.parseInt(v);
         case "clients" -> clients = Integer.parseInt(v);
         case "pool" -> pool = Integer.parseInt(v);
         case "warmup" -> warmupSeconds = Double.parseDouble(v);
         case "seconds" -> seconds = Double.parseDouble(v);
         case "rounds" -> rounds = Integer.parseInt(v);
         case "replkit-props" -> {
            for (String kv : v.split(",")) {
               if (kv.isBlank()) {
                  continue;
               }
               final int eq = kv.indexOf('=');
               if (eq < 1 || !kv.trim().startsWith("replkit.")) {
                  throw new IllegalArgumentException("--replkit-props: expected replkit.name=value but found '" + kv + "'");
               }
               replkitProps.put(kv.substring(0, eq).trim(), kv.substring(eq + 1).trim());
            }
         }
         case "capture" -> capture = CaptureModel.of(v);
         case "keep" -> keep = Boolean.parseBoolean(v);
         case "help" -> help = Boolean.parseBoolean(v);
         default -> throw new IllegalArgumentException("unknown option --" + name + "\n\n" + USAGE);
      }
   }

   private BenchOptions validated()
   {
      if (urlBase == null || urlBase.isBlank()) {
         urlBase = db.defaultUrlBase;
      }
      if (pool <= 0) {
         pool = clients;
      }
      if (scale < 1 || accountsPerBranch < 1 || clients < 1 || rounds < 1 || seconds <= 0 || warmupSeconds < 0) {
         throw new IllegalArgumentException("--scale, --accounts-per-branch, --clients, --rounds and --seconds must be positive, --warmup not negative\n\n" + USAGE);
      }
      if (capture.isModel() && (db != Db.POSTGRESQL || !replkitProps.isEmpty())) {
         throw new IllegalArgumentException("--capture " + capture.option + " models PostgreSQL capture over the plain driver: it needs --db postgresql"
                                            + " and takes no --replkit-props");
      }
      return this;
   }

   long accounts()
   {
      return (long) scale * accountsPerBranch;
   }

   int tellers()
   {
      return scale * 10;
   }

   @Override
   public String toString()
   {
      return "db=" + db.name().toLowerCase(Locale.ROOT) + " scale=" + scale + " (" + scale + " branches, " + tellers() + " tellers, "
             + accounts() + " accounts) clients=" + clients + " pool=" + pool + " warmup=" + warmupSeconds + "s seconds=" + seconds
             + "s rounds=" + rounds + (replkitProps.isEmpty() ? "" : " replkit-props=" + replkitProps)
             + (capture.isModel() ? " capture=" + capture.option : "");
   }
}
