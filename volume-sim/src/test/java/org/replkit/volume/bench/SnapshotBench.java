package org.replkit.volume.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.util.Comparator;
import java.util.Random;
import java.util.stream.Stream;

import org.h2.store.fs.FilePath;
import org.replkit.volume.FlashSnap;
import org.replkit.volume.VolumeManager;

/**
 * Snapshot cost on a big volume: fills a file of SIZE_MIB (default 1024) on a volume next to a small H2 database,
 * takes {@code vmsnap -o snapshot}, rewrites PERCENT (default 1) of the file in writes of up to 1 MiB at random 4 KiB-aligned
 * offsets, and prints the snapshot time and the extra block-store space. Not a unit test: run it by hand (see the
 * module README). Arguments: {@code [SIZE_MIB [PERCENT [DIR]]]}; DIR is kept if given, else a temp dir is removed.
 */
public final class SnapshotBench {
   private static final int MIB = 1 << 20;

   public static void main(String[] args) throws Exception {
      long sizeMiB = args.length > 0 ? Long.parseLong(args[0]) : 1024;
      double percent = args.length > 1 ? Double.parseDouble(args[1]) : 1.0;
      Path dir = args.length > 2 ? Path.of(args[2]) : Files.createTempDirectory("volume-bench");
      try {
         run(dir, sizeMiB, percent);
      } finally {
         if (args.length <= 2) {
            try (Stream<Path> s = Files.walk(dir)) {
               s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
         }
      }
   }

   private static void run(Path dir, long sizeMiB, double percent) throws Exception {
      VolumeManager vm = VolumeManager.open(dir.resolve("vols"));
      vm.createDiskGroup("BENCHdg");
      vm.createVolume("BENCHdg", "datavol", (sizeMiB + 64) * MIB);
      String file = "vol:" + vm.root().resolve("BENCHdg/datavol/data.img");
      long size = sizeMiB * MIB;

      long t0 = System.nanoTime();
      try (FileChannel ch = FilePath.get(file).open("rw")) {
         ByteBuffer buf = ByteBuffer.allocate(8 * MIB);
         for (long pos = 0; pos < size; pos += buf.capacity()) {
            pattern(buf, pos, 0);
            ch.write(buf, pos);
         }
         ch.force(true);
      }
      try (Connection c = DriverManager.getConnection(vm.jdbcUrl("BENCHdg", "datavol", "PROD"), "sa", "")) {
         c.createStatement().execute("CREATE TABLE t AS SELECT X id, SPACE(100) pad FROM SYSTEM_RANGE(1, 10000)");
      }
      double fillSeconds = (System.nanoTime() - t0) / 1e9;
      Path plan = dir.resolve("bench.plan");
      Files.writeString(plan, "PRIMARY_DB=PROD\nVOLUME_ROOT=vols\nPRIMARY_DG=BENCHdg\nVOLUMES=datavol\n"
            + "SNAPSHOT_NAME=bench\nSNAPSHOT_MODE=online\nCLUSTERED=no\n");
      FlashSnap flash = new FlashSnap(line -> { });
      flash.validate("PROD", plan);
      long before = vm.allocatedBytes("BENCHdg");

      long t1 = System.nanoTime();
      flash.snapshot("PROD", plan);
      double snapMillis = (System.nanoTime() - t1) / 1e6;
      long afterSnapshot = vm.allocatedBytes("BENCHdg");

      long target = (long) (size * percent / 100) / 4096 * 4096;
      Random random = new Random(42);
      long rewritten = 0;
      long probe = -1;
      long t2 = System.nanoTime();
      try (FileChannel ch = FilePath.get(file).open("rw")) {
         while (rewritten < target) {
            ByteBuffer buf = ByteBuffer.allocate((int) Math.min(MIB, target - rewritten));
            long pos = (long) random.nextInt((int) ((size - MIB) / 4096)) * 4096;
            pattern(buf, pos, 1);
            ch.write(buf, pos);
            rewritten += buf.capacity();
            probe = pos;
         }
         ch.force(true);
      }
      double rewriteSeconds = (System.nanoTime() - t2) / 1e9;
      long extra = vm.allocatedBytes("BENCHdg") - afterSnapshot;

      // the snapshot must still hold the old bytes where the original was rewritten
      String usage = diskUsage(vm.root().resolve("BENCHdg/blocks.dat"));
      ByteBuffer old = ByteBuffer.allocate(4096);
      ByteBuffer expected = ByteBuffer.allocate(4096);
      try (FileChannel snap = FilePath.get(file.replace("/datavol/", "/SNAP_datavol/")).open("r")) {
         snap.read(old, probe);
      }
      pattern(expected, probe, 0);
      old.flip();
      if (!old.equals(expected)) {
         throw new AssertionError("snapshot lost its data at offset " + probe);
      }

      long t3 = System.nanoTime();
      flash.resync("PROD", plan);
      double resyncMillis = (System.nanoTime() - t3) / 1e6;

      System.out.printf("volume-sim snapshot benchmark: %d MiB file + a small H2 database on one volume, 64 KiB blocks%n",
            sizeMiB);
      System.out.printf("  fill:                %8.1f s  (%d MiB written through the volume, then forced)%n",
            fillSeconds, sizeMiB);
      System.out.printf("  vmsnap -o snapshot:  %8.1f ms (block-table copy, metadata sync, image opened for its"
            + " change-log position)%n", snapMillis);
      System.out.printf("  space for snapshot:  %8.2f MiB right after it%n", (afterSnapshot - before) / (double) MIB);
      System.out.printf("  rewrote:             %8.2f MiB = %.2f%% of the file, in writes of up to 1 MiB at random 4 KiB-aligned"
            + " offsets (%.2f s)%n", rewritten / (double) MIB, 100.0 * rewritten / size, rewriteSeconds);
      System.out.printf("  extra space:         %8.2f MiB = %.2f%% of the volume data, %.2fx the bytes rewritten%n",
            extra / (double) MIB, 100.0 * extra / before, extra / (double) rewritten);
      System.out.printf("  vmsnap -o resync:    %8.1f ms%n", resyncMillis);
      System.out.printf("  block store on disk: %s (after the rewrite)%n", usage);
      vm.close();
   }

   /** Bytes that name their own offset and generation, so any misplaced block shows. */
   private static void pattern(ByteBuffer buf, long pos, long generation) {
      buf.clear();
      for (long p = pos; buf.hasRemaining(); p += 8) {
         buf.putLong(p * 31 + generation);
      }
      buf.flip();
   }

   private static String diskUsage(Path file) throws IOException {
      try {
         Process p = new ProcessBuilder("du", "-k", file.toString()).redirectErrorStream(true).start();
         String kib = new String(p.getInputStream().readAllBytes()).trim().split("\\s+")[0];
         return p.waitFor() == 0 ? String.format("%.1f MiB allocated for a %.1f MiB file", Long.parseLong(kib) / 1024.0,
               Files.size(file) / (double) MIB) : "(du failed)";
      } catch (IOException | InterruptedException | NumberFormatException e) {
         return "(du not available)";
      }
   }
}
