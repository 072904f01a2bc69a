package org.replkit.bench;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The harness itself, not a measurement: a few seconds on in-memory H2 with tiny sizes must apply every
 * row, measure non-zero rates, see every paced transaction at the replicate and print the summary.
 */
class ApplyBenchSmokeTest
{
   @Test
   void tinyRunOnH2AppliesEverythingAndMeasuresLag() throws Exception
   {
      final ApplyBenchOptions o = ApplyBenchOptions.parse("--db", "h2", "--rows", "3000", "--tx-rows", "50", "--rounds", "2", "--rate", "100", "--warmup", "0.2",
                                                          "--seconds", "1", "--clients", "2", "--reader-poll-ms", "20");
      final ByteArrayOutputStream buf = new ByteArrayOutputStream();
      final ApplyBench.Report r = ApplyBench.run(o, new PrintStream(buf, true, StandardCharsets.UTF_8));
      final String out = buf.toString(StandardCharsets.UTF_8);

      final ApplyBench.ApplyResult a = r.apply();
      assertEquals(2 * 3000, a.replicateRows(), "every row of both rounds applied\n" + out);
      assertEquals(2, a.roundRatios().size(), out);
      assertEquals(3000, a.rawRows(), out);
      assertTrue(a.applyRowsPerSec() > 0 && a.rawRowsPerSec() > 0 && a.rawSameSettingsRowsPerSec() > 0 && a.rawGroupedRowsPerSec() > 0, out);
      assertEquals(a.applyRowsPerSec() / a.rawGroupedRowsPerSec(), a.ratio(), 1e-9);
      assertEquals(50 * 50, a.rowsPerGroup(), "groupTransactions 50 of 50 rows come before groupRows 5000");

      final ApplyBench.LagResult l = r.lag();
      assertTrue(l.measured() > 0 && l.achievedRate() > 0, out);
      assertEquals(0, l.failed(), out);
      assertEquals(l.committed(), l.seen(), "every committed transaction was seen at the replicate\n" + out);
      assertEquals(l.committed(), l.replicateRows(), out);
      assertEquals(l.committed(), l.primaryRows(), out);
      assertTrue(l.p50() >= 0 && l.p50() <= l.p99() && l.p99() <= l.max(), out);
      assertTrue(out.contains("(consistent)") && out.contains("RESULT db=h2"), out);
   }

   @Test
   void optionsAndPercentiles()
   {
      final ApplyBenchOptions o = ApplyBenchOptions.parse("--rows=1000", "--tx-rows", "10", "--rate", "50", "--keep");
      assertEquals(BenchOptions.Db.POSTGRESQL, o.db);
      assertEquals(1000, o.rows);
      assertEquals(10, o.txRows);
      assertEquals(50.0, o.rate);
      assertEquals(20.0, o.seconds);
      assertTrue(o.keep);
      assertThrows(IllegalArgumentException.class, () -> ApplyBenchOptions.parse("--scale", "1"));
      final double[] v = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
      assertEquals(5, ApplyBench.pct(v, 50));
      assertEquals(10, ApplyBench.pct(v, 99));
      assertEquals(1, ApplyBench.pct(v, 1));
   }
}
