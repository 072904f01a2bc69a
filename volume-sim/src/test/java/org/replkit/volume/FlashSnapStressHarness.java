package org.replkit.volume;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Opt-in stress harness (not part of a normal build): runs the crash-consistency scenario of {@link FlashSnapTest}
 * many times, with busy threads competing for the CPU to widen races, and reports every failure.
 * <pre>
 * mvn -B -o -f volume-sim/pom.xml test -Dtest=FlashSnapStressHarness -Dstress.runs=40 [-Dstress.busy=4]
 * </pre>
 */
@EnabledIfSystemProperty(named = "stress.runs", matches = "\\d+")
class FlashSnapStressHarness {

   @Test
   void snapshotOfARunningDatabaseIsConsistentEveryTime() throws Exception {
      int runs = Integer.getInteger("stress.runs");
      int busy = Integer.getInteger("stress.busy", 4);
      AtomicBoolean stop = new AtomicBoolean();
      List<Thread> burners = new ArrayList<>();
      for (int i = 0; i < busy; i++) {
         Thread t = new Thread(() -> {
            long x = 0;
            while (!stop.get()) {
               x += System.nanoTime() % 7;
            }
            if (x == 42) {
               System.out.print("");
            }
         }, "busy-" + i);
         t.setDaemon(true);
         t.start();
         burners.add(t);
      }
      List<String> failures = new ArrayList<>();
      try {
         for (int run = 1; run <= runs; run++) {
            Path dir = Files.createTempDirectory("flashsnap-stress");
            FlashSnapTest t = new FlashSnapTest();
            t.dir = dir;
            t.setUp();
            try {
               t.snapshotOfARunningDatabaseOpensConsistentWithItsPosition();
               System.out.println("STRESS run " + run + ": ok");
            } catch (Throwable e) {
               failures.add("run " + run + ": " + e);
               System.out.println("STRESS run " + run + ": FAILED " + e);
            } finally {
               t.tearDown();
            }
         }
      } finally {
         stop.set(true);
      }
      System.out.println("STRESS " + failures.size() + " of " + runs + " runs failed (busy threads: " + busy + ")");
      assertEquals(List.of(), failures);
   }
}
