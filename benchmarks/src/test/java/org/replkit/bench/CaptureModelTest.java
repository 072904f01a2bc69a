package org.replkit.bench;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.replkit.testing.TestDatabases;
import org.replkit.testing.TestDatabases.Kind;
import org.replkit.testing.TestDatabases.TestDb;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The capture models of {@code TpcbBench --capture} on PostgreSQL, at the highest contention the workload
 * has (one branch, four clients): every commit is logged with its images, and where a model claims
 * before images, each one continues the previous after image of the same row in commit order. That is
 * what makes the SET-clause before image a candidate design, so the short run checks it, not the speed.
 */
class CaptureModelTest
{
   @ParameterizedTest
   @EnumSource(value = CaptureModel.class, names = {"RETURNING_SET", "RETURNING_JOIN", "RETURNING_AFTER_ONLY"})
   void everyCommitIsLoggedAndBeforeImagesAreExactUnderContention(CaptureModel model) throws Exception
   {
      try (TestDb gate = TestDatabases.create(Kind.POSTGRESQL, "capmodel")) {
         final BenchOptions o = BenchOptions.parse("--url-base", gate.url(), "--capture", model.option, "--scale", "1",
                                                   "--accounts-per-branch", "2000", "--clients", "4", "--warmup", "0.2",
                                                   "--seconds", "1.5", "--rounds", "1");
         final ByteArrayOutputStream buf = new ByteArrayOutputStream();
         final TpcbBench.Report r = TpcbBench.run(o, new PrintStream(buf, true, StandardCharsets.UTF_8));
         final String out = buf.toString(StandardCharsets.UTF_8);

         assertTrue(r.replkitCommitted() > 100, "too few transactions to mean anything\n" + out);
         assertEquals(r.replkitCommitted(), r.replkitHistoryRows(), out);
         assertEquals(r.replkitCommitted(), r.capturedCommits(), "every model-side commit is in the model's log\n" + out);
         if (model.hasBeforeImages()) {
            assertTrue(r.beforeImages().checked() > r.replkitCommitted(), "one branch and ten tellers: most updates follow another\n" + out);
            assertEquals(0, r.beforeImages().broken(), out);
         }
         else {
            assertNull(r.beforeImages(), out);
         }
         assertTrue(out.contains("RESULT db=postgresql capture=" + model.option), out);
      }
   }
}
