package org.replkit.volume;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.IntStream;

import org.h2.store.fs.FilePath;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The block store under the snapshots: copy-on-write, space accounting, durability across a restart. */
class VolumeStoreTest {
   private static final int BLOCK = 64 * 1024;

   @TempDir
   Path dir;
   VolumeManager vm;

   @BeforeEach
   void setUp() {
      vm = VolumeManager.open(dir);
      vm.createDiskGroup("dg");
      vm.createVolume("dg", "vol", 64L << 20);
   }

   @AfterEach
   void tearDown() {
      vm.close();
   }

   private String path(String vol, String file) {
      return "vol:" + dir.resolve("dg").resolve(vol).resolve(file);
   }

   private static byte[] random(int n, long seed) {
      byte[] b = new byte[n];
      new Random(seed).nextBytes(b);
      return b;
   }

   private static void write(String path, long pos, byte[] data) throws IOException {
      try (FileChannel ch = FilePath.get(path).open("rw")) {
         ch.write(ByteBuffer.wrap(data), pos);
      }
   }

   private static byte[] read(String path) throws IOException {
      try (FileChannel ch = FilePath.get(path).open("r")) {
         ByteBuffer b = ByteBuffer.allocate((int) ch.size());
         while (b.hasRemaining() && ch.read(b, b.position()) > 0) {
            // read all
         }
         return b.array();
      }
   }

   /**
    * A write that leaves a shared block copies its old contents after it has released the slot. A sync in between
    * clears the slot's "released" mark; the other owner, now the only one, must still not write the slot in place
    * before the copy is done, or the copy takes the other volume's new bytes.
    */
   @Test
   void aSlotBeingCopiedIsNotWrittenInPlaceByItsOtherOwner() throws Exception {
      byte[] original = random(BLOCK, 7);
      write(path("vol", "f"), 0, original);
      vm.copyVolumes("dg", Map.of("vol", "SNAP_vol")); // one slot, two owners
      DiskGroup g = vm.group("dg");
      java.util.concurrent.CountDownLatch claimed = new java.util.concurrent.CountDownLatch(1);
      java.util.concurrent.CountDownLatch proceed = new java.util.concurrent.CountDownLatch(1);
      g.afterClaimHook = () -> {
         if (Thread.currentThread().getName().equals("partial-writer")) {
            claimed.countDown();
            try {
               proceed.await();
            } catch (InterruptedException e) {
               Thread.currentThread().interrupt();
            }
         }
      };
      byte[] head = random(16, 8);
      Thread writer = new Thread(() -> {
         try {
            write(path("vol", "f"), 0, head); // partial: claims a fresh slot, releases the shared one, copies it
         } catch (IOException e) {
            throw new UncheckedIOException(e);
         }
      }, "partial-writer");
      Thread syncer = new Thread(() -> vm.sync("dg"), "syncer");
      try {
         writer.start();
         claimed.await();
         syncer.start(); // swaps the released marks, then waits for the writer's volume to capture it
         while (syncer.getState() != Thread.State.WAITING && syncer.isAlive()) {
            Thread.sleep(1);
         }
         write(path("SNAP_vol", "f"), 0, random(BLOCK, 9)); // the snapshot, sole owner now, rewrites the block
      } finally {
         proceed.countDown();
         writer.join();
         syncer.join();
         g.afterClaimHook = null;
      }
      byte[] expected = original.clone();
      System.arraycopy(head, 0, expected, 0, head.length);
      assertArrayEquals(expected, read(path("vol", "f")), "the copied block holds the original's old bytes");
      assertArrayEquals(random(BLOCK, 9), read(path("SNAP_vol", "f")));
   }

   @Test
   void snapshotSharesBlocksUntilAWriteCopiesOne() throws IOException {
      byte[] data = random(16 * BLOCK, 1);
      write(path("vol", "f"), 0, data);
      long before = vm.allocatedBytes("dg");
      assertEquals(16L * BLOCK, before);

      vm.copyVolumes("dg", Map.of("vol", "SNAP_vol"));
      assertEquals(before, vm.allocatedBytes("dg"), "a snapshot allocates no data blocks");

      byte[] patch = random(100, 2); // straddles blocks 2 and 3
      write(path("vol", "f"), 3L * BLOCK - 50, patch);
      assertEquals(before + 2L * BLOCK, vm.allocatedBytes("dg"), "only the two touched blocks were copied");

      assertArrayEquals(data, read(path("SNAP_vol", "f")), "the snapshot keeps the old data");
      byte[] expected = data.clone();
      System.arraycopy(patch, 0, expected, 3 * BLOCK - 50, patch.length);
      assertArrayEquals(expected, read(path("vol", "f")));

      write(path("vol", "f"), 3L * BLOCK - 50, patch);
      assertEquals(before + 2L * BLOCK, vm.allocatedBytes("dg"), "a block copied once is written in place");
   }

   /** Every write fills 8 blocks of both volumes with its own number; a snapshot must see one number per volume. */
   @Test
   void aSnapshotNeverSeesHalfAWriteOnAnyVolume() throws Exception {
      vm.createVolume("dg", "vol2", 64L << 20);
      String a = path("vol", "f");
      String b = path("vol2", "f");
      AtomicBoolean stop = new AtomicBoolean();
      Thread writer = new Thread(() -> {
         byte[] buf = new byte[8 * BLOCK];
         try (FileChannel ca = FilePath.get(a).open("rw"); FileChannel cb = FilePath.get(b).open("rw")) {
            for (int i = 1; !stop.get(); i++) {
               java.util.Arrays.fill(buf, (byte) i);
               ca.write(ByteBuffer.wrap(buf), 0);
               cb.write(ByteBuffer.wrap(buf), 0);
            }
         } catch (IOException e) {
            throw new UncheckedIOException(e);
         }
      });
      write(a, 0, new byte[8 * BLOCK]);
      write(b, 0, new byte[8 * BLOCK]);
      writer.start();
      try {
         for (int n = 0; n < 40; n++) {
            vm.copyVolumes("dg", Map.of("vol", "S_vol", "vol2", "S_vol2"));
            byte[] sa = read(path("S_vol", "f"));
            byte[] sb = read(path("S_vol2", "f"));
            assertEquals(1, IntStream.range(0, sa.length).map(i -> sa[i]).distinct().count(), "torn write on vol");
            assertEquals(1, IntStream.range(0, sb.length).map(i -> sb[i]).distinct().count(), "torn write on vol2");
            int diff = (byte) (sa[0] - sb[0]);
            assertTrue(diff == 0 || diff == 1, "vol2 is never ahead of vol, nor more than one write behind: " + diff);
         }
      } finally {
         stop.set(true);
         writer.join();
      }
   }

   @Test
   void holesAndTruncatedTailsReadAsZeros() throws IOException {
      String f = path("vol", "sparse");
      write(f, 10L * BLOCK + 7, new byte[] {1, 2, 3});
      assertEquals(1L * BLOCK, vm.allocatedBytes("dg"), "only the written block is stored");
      byte[] all = read(f);
      assertEquals(10 * BLOCK + 10, all.length);
      assertEquals(0, all[5 * BLOCK]);
      assertEquals(3, all[10 * BLOCK + 9]);

      try (FileChannel ch = FilePath.get(f).open("rw")) {
         ch.truncate(10L * BLOCK + 8);
         ch.write(ByteBuffer.wrap(new byte[] {9}), 10L * BLOCK + 12);
      }
      byte[] after = read(f);
      assertEquals(1, after[10 * BLOCK + 7]);
      assertEquals(0, after[10 * BLOCK + 8], "bytes cut by truncate come back as zeros");
      assertEquals(0, after[10 * BLOCK + 9]);
      assertEquals(9, after[10 * BLOCK + 12]);
   }

   @Test
   void volumesAndSnapshotsSurviveARestart() throws IOException {
      byte[] data = random(5 * BLOCK + 123, 3);
      write(path("vol", "f"), 0, data);
      vm.copyVolumes("dg", Map.of("vol", "SNAP_vol"));
      byte[] patch = random(BLOCK, 4);
      write(path("vol", "f"), BLOCK, patch);
      long allocated = vm.allocatedBytes("dg");
      vm.close();

      vm = VolumeManager.open(dir);
      assertEquals(allocated, vm.allocatedBytes("dg"), "reference counts are rebuilt from the tables");
      assertArrayEquals(data, read(path("SNAP_vol", "f")));
      byte[] expected = data.clone();
      System.arraycopy(patch, 0, expected, BLOCK, BLOCK);
      assertArrayEquals(expected, read(path("vol", "f")));

      vm.deleteVolume("dg", "SNAP_vol");
      vm.sync("dg");
      assertEquals(allocated - BLOCK, vm.allocatedBytes("dg"), "the block only the snapshot held is freed");
      long storeSize = java.nio.file.Files.size(dir.resolve("dg").resolve(DiskGroup.DATA));
      write(path("vol", "g"), 0, random(BLOCK, 5));
      assertEquals(storeSize, java.nio.file.Files.size(dir.resolve("dg").resolve(DiskGroup.DATA)),
            "a new block reuses the freed slot instead of growing the store");
   }

   @Test
   void aFullVolumeRefusesToGrow() throws IOException {
      vm.createVolume("dg", "small", 2L * BLOCK);
      write(path("small", "f"), 0, new byte[2 * BLOCK]);
      IOException e = assertThrows(IOException.class, () -> write(path("small", "f"), 2L * BLOCK, new byte[1]));
      assertTrue(e.getMessage().contains("No space left on volume dg/small"), e.getMessage());
   }

   @Test
   void openFilesMarkTheVolumeInUse() throws IOException {
      assertFalse(vm.inUse("dg", "vol"));
      try (FileChannel ch = FilePath.get(path("vol", "f")).open("rw")) {
         assertTrue(vm.inUse("dg", "vol"));
         VolumeException e = assertThrows(VolumeException.class, () -> vm.deleteVolume("dg", "vol"));
         assertTrue(e.getMessage().contains("in use"), e.getMessage());
      }
      assertFalse(vm.inUse("dg", "vol"));
   }
}
