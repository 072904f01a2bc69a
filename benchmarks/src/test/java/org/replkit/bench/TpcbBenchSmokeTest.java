package org.replkit.bench;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The harness itself, not a measurement: a few-second run on in-memory H2 must commit transactions on
 * both sides, record every replkit-side commit in the change log, and print the summary.
 */
class TpcbBenchSmokeTest
{
   @Test
   void tinyRunOnH2CommitsOnBothSidesAndReportsTheRatio() throws Exception
   {
      final BenchOptions o = BenchOptions.parse("--db", "h2", "--scale", "2", "--accounts-per-branch", "500", "--clients", "2",
                                                "--warmup", "1", "--seconds", "0.5", "--rounds", "2");
      final ByteArrayOutputStream buf = new ByteArrayOutputStream();
      final TpcbBench.Report r = TpcbBench.run(o, new PrintStream(buf, true, StandardCharsets.UTF_8));
      final String out = buf.toString(StandardCharsets.UTF_8);

      assertEquals(4, r.phases().size(), out);
      for (TpcbBench.Phase p : r.phases()) {
         assertTrue(p.result().transactions() > 0, "no transaction measured in " + p + "\n" + out);
      }
      assertTrue(r.rawTps() > 0 && r.replkitTps() > 0, out);
      assertEquals(r.replkitTps() / r.rawTps(), r.ratio(), 1e-9);
      assertEquals(r.rawCommitted(), r.rawHistoryRows(), out);
      assertEquals(r.replkitCommitted(), r.replkitHistoryRows(), out);
      assertEquals(r.replkitCommitted(), r.capturedCommits(), "every replkit-side commit is in the change log\n" + out);
      assertTrue(out.contains("RESULT db=h2"), out);
   }

   @Test
   void optionsFromArgumentsAndDefaults()
   {
      final BenchOptions o = BenchOptions.parse("--clients=8", "--seconds", "3", "--replkit-props", "replkit.exclude=*", "--keep");
      assertEquals(BenchOptions.Db.POSTGRESQL, o.db);
      assertEquals(8, o.clients);
      assertEquals(8, o.pool);
      assertEquals(3.0, o.seconds);
      assertEquals(10, o.scale);
      assertEquals("*", o.replkitProps.get("replkit.exclude"));
      assertTrue(o.keep);
      assertThrows(IllegalArgumentException.class, () -> BenchOptions.parse("--nope", "1"));
   }

   @Test
   void databaseUrlsAreDerivedFromTheAdminUrl()
   {
      assertEquals("jdbc:postgresql://127.0.0.1:5432/x?user=postgres",
                   BenchDatabase.withDatabase("jdbc:postgresql://127.0.0.1:5432/test?user=postgres", "x"));
      assertEquals("jdbc:mariadb://h:3306/x?user=root&password=", BenchDatabase.withDatabase("jdbc:mariadb://h:3306/?user=root&password=", "x"));
      assertEquals("jdbc:postgresql://h/x", BenchDatabase.withDatabase("jdbc:postgresql://h", "x"));
   }
}
