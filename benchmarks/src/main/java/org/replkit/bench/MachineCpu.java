package org.replkit.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The whole machine's CPU time from /proc/stat (Linux): client JVM, database server and everything else.
 * Throughput on a shared 2-core machine moves with the neighbours; CPU time per transaction moves much
 * less, and when the run is CPU-bound, raw CPU/tx over replkit CPU/tx is the throughput ratio the same
 * machine would reach with nothing else on it.
 */
record MachineCpu(long busyTicks, long stealTicks)
{
   /** Linux reports /proc/stat in USER_HZ ticks, 100 per second on every architecture Java runs on here. */
   private static final double MICROS_PER_TICK = 1e6 / 100;
   private static final Path STAT = Path.of("/proc/stat");

   /** Now, or null where there is no /proc/stat. */
   static MachineCpu now()
   {
      try {
         final String first = Files.readAllLines(STAT).get(0); // cpu user nice system idle iowait irq softirq steal ...
         final String[] f = first.trim().split("\\s+");
         final long busy = Long.parseLong(f[1]) + Long.parseLong(f[2]) + Long.parseLong(f[3]) + Long.parseLong(f[6]) + Long.parseLong(f[7]);
         return new MachineCpu(busy, f.length > 8 ? Long.parseLong(f[8]) : 0);
      }
      catch (IOException | RuntimeException notLinux) {
         return null;
      }
   }

   /** Busy CPU microseconds from {@code earlier} to this reading, per transaction; NaN when unknown. */
   static double microsPerTransaction(MachineCpu earlier, MachineCpu later, long transactions)
   {
      if (earlier == null || later == null || transactions <= 0) {
         return Double.NaN;
      }
      return (later.busyTicks - earlier.busyTicks) * MICROS_PER_TICK / transactions;
   }
}
