package org.replkit.agent;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.replkit.testing.TestDatabases;
import org.replkit.testing.TestDatabases.Kind;
import org.replkit.testing.TestDatabases.TestDb;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Overhead of the agent, printed, not asserted (a benchmark, not a timed test; not run by mvn verify):
 * <pre>
 * mvn -B verify -pl agent -am -Dit.test=AgentOverheadBench -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 * Runs {@link org.replkit.agent.sample.BenchApp} in fresh JVMs, in turn: plain (no ReplKit), agent (the
 * agent jar, rule url=*), driver (no agent; ReplKit's jars on the class path and a jdbc:replkit: URL), on H2
 * in memory and on PostgreSQL, and prints the median of each figure. agent minus plain is what an
 * application pays for being captured this way; agent minus driver is the agent's own share (capture
 * itself, triggers and commit records, costs the same both ways).
 */
class AgentOverheadBench
{
   private static final int RUNS = Integer.getInteger("bench.runs", 5);

   @TempDir
   Path dir;

   @Test
   void printOverhead() throws Exception
   {
      final StringBuilder report = new StringBuilder("\nReplKit agent overhead, median of " + RUNS + " runs each (JVM wall time includes JVM exit)\n");
      report.append(String.format("%-10s %-8s %12s %12s %16s %12s %12s%n", "database", "how", "JVM wall ms", "1st conn ms",
                                  "getConnection ns", "select ns", "update ns"));
      try (TestDb pg = TestDatabases.create(Kind.POSTGRESQL, "agentbench")) {
         bench(report, "H2 mem", "jdbc:h2:mem:bench;DB_CLOSE_DELAY=-1", 20_000);
         bench(report, "PostgreSQL", pg.url(), 2_000);
      }
      System.out.println(report);
   }

   private void bench(StringBuilder report, String label, String url, int ops) throws Exception
   {
      final Path rules = Files.createTempFile(dir, "bench", ".properties");
      Files.writeString(rules, "replkit.agent.rule.1.url=*\nreplkit.agent.rule.1.site=bench\n");
      final Map<String, Map<String, List<Long>>> figures = new LinkedHashMap<>();
      for (int run = 0; run < RUNS; run++) {
         for (String mode : List.of("plain", "agent", "driver")) {
            final ChildJvm.Result r = switch (mode) {
               case "plain" -> ChildJvm.run(false, rules, "org.replkit.agent.sample.BenchApp", url, String.valueOf(ops));
               case "agent" -> ChildJvm.run(true, rules, "org.replkit.agent.sample.BenchApp", url, String.valueOf(ops));
               default -> ChildJvm.run(false, rules, true, "org.replkit.agent.sample.BenchApp",
                                       "jdbc:replkit:" + url.substring("jdbc:".length()) + (url.contains("?") ? "&" : ";") + "replkit.site=bench",
                                       String.valueOf(ops));
            };
            assertEquals(0, r.exit(), r.output());
            final Map<String, List<Long>> f = figures.computeIfAbsent(mode, a -> new LinkedHashMap<>());
            f.computeIfAbsent("wall", k -> new ArrayList<>()).add(r.millis());
            r.output().lines().filter(l -> l.matches("[a-zA-Z-]+ \\d+")).forEach(l -> {
               final String[] kv = l.split(" ");
               f.computeIfAbsent(kv[0], k -> new ArrayList<>()).add(Long.parseLong(kv[1]));
            });
         }
      }
      for (Map.Entry<String, Map<String, List<Long>>> e : figures.entrySet()) {
         final Map<String, List<Long>> f = e.getValue();
         report.append(String.format("%-10s %-8s %12d %12d %16d %12d %12d%n", label, e.getKey(), median(f.get("wall")),
                                     median(f.get("first-connection-ms")), median(f.get("getConnection-ns")), median(f.get("select-ns")),
                                     median(f.get("update-ns"))));
         report.append(String.format("%-19s runs: JVM wall %s, 1st conn %s, getConnection %s%n", "", f.get("wall"), f.get("first-connection-ms"),
                                     f.get("getConnection-ns")));
      }
   }

   private static long median(List<Long> values)
   {
      final List<Long> sorted = values.stream().sorted().toList();
      return sorted.get(sorted.size() / 2);
   }
}
