package org.replkit.volume;

import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A disk group: one block store ({@code blocks.dat}, fixed-size slots, sparse) shared by its volumes, plus one
 * metadata file per volume ({@code <volume>.vol}: the block table of each file).
 * <p>
 * Volumes in one group share slots: a snapshot copies block tables and counts references, and a write to a shared
 * slot first copies that one block (copy-on-write). So a snapshot costs a table copy (4 bytes per block) and then
 * space only for the blocks written afterwards.
 * <p>
 * Durability: {@link #sync()} forces the block store, then rewrites each changed volume's metadata atomically
 * (temp file, fsync, rename, fsync directory). Reference counts are not stored; loading rebuilds them from the
 * tables, and slots nothing references are free, so a crash only leaks nothing. A slot whose reference count dropped
 * since the last sync may still be named by a metadata file on disk, so it is neither reused nor written in place
 * until a sync has rewritten every table that might name it.
 * <p>
 * One process owns a disk group at a time (an OS file lock), as one volume manager owns its disks.
 */
final class DiskGroup implements Closeable {
   private static final Logger LOG = LoggerFactory.getLogger(DiskGroup.class);

   static final String DATA = "blocks.dat";
   static final String META = "diskgroup.properties";
   static final String LOCK = "diskgroup.lock";
   static final String VOL_SUFFIX = ".vol";
   static final int IN_PLACE = -2;
   static final int DEFAULT_BLOCK_SIZE = 64 * 1024;
   private static final int MAX_BLOCK_SIZE = 1 << 20;
   private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(MAX_BLOCK_SIZE).asReadOnlyBuffer();

   final String name;
   final Path dir;
   final int blockSize;
   final int shift;
   private final FileChannel data;
   private final FileChannel lockChannel;
   private final FileLock processLock;
   private final ConcurrentHashMap<String, Volume> volumes = new ConcurrentHashMap<>();
   /** Serializes FlashSnap operations on this group, so each sees and leaves a whole state. */
   final ReentrantLock adminLock = new ReentrantLock();
   private final ReentrantLock syncLock = new ReentrantLock();

   // slot allocator, guarded by alloc
   private final Object alloc = new Object();
   private int[] refs = new int[1024];
   private int highWater;
   private int[] free = new int[256];
   private int freeCount;
   private BitSet released = new BitSet();
   /** Per slot: writes that left it and are still reading its old contents (between claim and copied). */
   private int[] copying = new int[1024];
   /** Test hook: runs in a writer between claiming its blocks and copying the old contents. */
   volatile Runnable afterClaimHook;

   static void create(Path dir, int blockSize) throws IOException {
      if (Integer.bitCount(blockSize) != 1 || blockSize < 4096 || blockSize > MAX_BLOCK_SIZE) {
         throw new VolumeException("Block size must be a power of two from 4096 to " + MAX_BLOCK_SIZE + ": " + blockSize);
      }
      Files.createDirectories(dir);
      Properties p = new Properties();
      p.setProperty("blockSize", Integer.toString(blockSize));
      VolumeManager.writeAtomically(dir.resolve(META), VolumeManager.store(p, "ReplKit volume-sim disk group"));
   }

   DiskGroup(String name, Path dir) throws IOException {
      this.name = name;
      this.dir = dir;
      Properties p = VolumeManager.load(dir.resolve(META));
      this.blockSize = Integer.parseInt(p.getProperty("blockSize", Integer.toString(DEFAULT_BLOCK_SIZE)));
      this.shift = Integer.numberOfTrailingZeros(blockSize);
      this.lockChannel = FileChannel.open(dir.resolve(LOCK), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      FileLock l;
      try {
         l = lockChannel.tryLock();
      } catch (OverlappingFileLockException e) {
         l = null;
      }
      if (l == null) {
         lockChannel.close();
         throw new VolumeException("Disk group " + name + " is in use by another process (" + dir.resolve(LOCK)
               + "); run the command in the process that owns it, or stop that process first");
      }
      this.processLock = l;
      try {
         this.data = FileChannel.open(dir.resolve(DATA), StandardOpenOption.CREATE, StandardOpenOption.READ,
               StandardOpenOption.WRITE);
         load();
      } catch (IOException | RuntimeException e) {
         closeQuietly();
         throw e;
      }
   }

   private void load() throws IOException {
      try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
         for (Path f : ds) {
            String fn = f.getFileName().toString();
            if (fn.endsWith(".tmp")) {
               Files.delete(f); // an interrupted atomic write; the previous version is intact
            } else if (fn.endsWith(VOL_SUFFIX)) {
               String vol = fn.substring(0, fn.length() - VOL_SUFFIX.length());
               try (InputStream in = new BufferedInputStream(Files.newInputStream(f))) {
                  volumes.put(vol, Volume.read(this, vol, new DataInputStream(in)));
               }
            }
         }
      }
      highWater = (int) ((data.size() + blockSize - 1) >>> shift);
      for (Volume v : volumes.values()) {
         v.forEachSlot(s -> {
            growRefs(s + 1);
            refs[s]++;
            highWater = Math.max(highWater, s + 1);
         });
      }
      growRefs(highWater);
      for (int s = highWater - 1; s >= 0; s--) {
         if (refs[s] == 0) {
            pushFree(s);
         }
      }
      LOG.debug("Disk group {}: {} volumes, {} slots of {} bytes, {} free", name, volumes.size(), highWater, blockSize,
            freeCount);
   }

   // ---------------------------------------------------------------- allocator

   /**
    * Prepares blocks first..last of a table for a write: from[i] is IN_PLACE when the slot can be overwritten, else
    * the table gets a fresh slot and from[i] is the slot to copy the old contents from (-1: a hole, zeros). The
    * caller must call {@link #copied} with from once it has read the old contents: until then no one may write a
    * slot it is copying from in place, nor reuse it, even if this release left it with one owner or none.
    */
   void claim(int[] table, int first, int last, int[] from) {
      synchronized (alloc) {
         for (int b = first; b <= last; b++) {
            final int s = table[b];
            if (s >= 0 && refs[s] == 1 && !released.get(s) && copying[s] == 0) {
               from[b - first] = IN_PLACE;
            } else {
               from[b - first] = s;
               table[b] = allocate();
               if (s >= 0) {
                  copying[s]++;
                  releaseLocked(s);
               }
            }
         }
      }
      Runnable hook = afterClaimHook;
      if (hook != null) {
         hook.run();
      }
   }

   /** The old contents of the slots in from (as filled by {@link #claim}) have been read. */
   void copied(int[] from) {
      synchronized (alloc) {
         for (int s : from) {
            if (s >= 0) {
               copying[s]--;
            }
         }
      }
   }

   /** Releases table[from..to) and marks those entries as holes. */
   void release(int[] table, int from, int to) {
      synchronized (alloc) {
         for (int b = from; b < to && b < table.length; b++) {
            if (table[b] >= 0) {
               releaseLocked(table[b]);
               table[b] = -1;
            }
         }
      }
   }

   void retain(int[] table) {
      synchronized (alloc) {
         for (int s : table) {
            if (s >= 0) {
               refs[s]++;
            }
         }
      }
   }

   private void releaseLocked(int s) {
      refs[s]--;
      released.set(s);
   }

   private int allocate() {
      int s = freeCount > 0 ? free[--freeCount] : highWater++;
      growRefs(s + 1);
      assert refs[s] == 0 && copying[s] == 0 : "slot " + s + " is still in use";
      refs[s] = 1;
      return s;
   }

   private void growRefs(int n) {
      if (refs.length < n) {
         refs = Arrays.copyOf(refs, Math.max(n, refs.length * 2));
      }
      if (copying.length < refs.length) {
         copying = Arrays.copyOf(copying, refs.length);
      }
   }

   private void pushFree(int s) {
      if (freeCount == free.length) {
         free = Arrays.copyOf(free, free.length * 2);
      }
      free[freeCount++] = s;
   }

   /** Slots holding data for at least one volume. */
   long slotsInUse() {
      synchronized (alloc) {
         long n = 0;
         for (int s = 0; s < highWater; s++) {
            if (refs[s] > 0) {
               n++;
            }
         }
         return n;
      }
   }

   // ---------------------------------------------------------------- block I/O

   void readFully(ByteBuffer dst, long pos) throws IOException {
      while (dst.hasRemaining()) {
         int n = data.read(dst, pos);
         if (n < 0) {
            zero(dst); // past the end of a sparse store
            return;
         }
         pos += n;
      }
   }

   void writeFully(ByteBuffer src, long pos) throws IOException {
      while (src.hasRemaining()) {
         pos += data.write(src, pos);
      }
   }

   static void zero(ByteBuffer dst) {
      dst.put(ZEROS.duplicate().limit(dst.remaining()));
   }

   static ByteBuffer zeros(int n) {
      return ZEROS.duplicate().limit(n);
   }

   // ---------------------------------------------------------------- volumes

   Volume volume(String vol) {
      return volumes.get(vol);
   }

   List<String> volumeNames() {
      List<String> names = new ArrayList<>(volumes.keySet());
      names.sort(null);
      return names;
   }

   Volume createVolume(String vol, long capacity) throws IOException {
      syncLock.lock();
      try {
         if (volumes.containsKey(vol)) {
            throw new VolumeException("Volume " + vol + " already exists in disk group " + name);
         }
         Volume v = new Volume(this, vol, capacity);
         VolumeManager.writeAtomically(dir.resolve(vol + VOL_SUFFIX), v.image());
         volumes.put(vol, v);
         return v;
      } finally {
         syncLock.unlock();
      }
   }

   void deleteVolume(String vol) throws IOException {
      syncLock.lock();
      try {
         Volume v = requireVolume(vol);
         if (v.inUse()) {
            throw new VolumeException("Volume " + v + " is in use (" + v.openChannels()
                  + " open files); close the database on it first");
         }
         v.lock.writeLock().lock();
         try {
            Files.deleteIfExists(dir.resolve(vol + VOL_SUFFIX));
            VolumeManager.fsyncDirectory(dir);
            volumes.remove(vol);
            v.drop();
         } finally {
            v.lock.writeLock().unlock();
         }
      } finally {
         syncLock.unlock();
      }
   }

   Volume requireVolume(String vol) {
      Volume v = volumes.get(vol);
      if (v == null) {
         throw new VolumeException("No volume " + vol + " in disk group " + name);
      }
      return v;
   }

   /**
    * For each entry, makes volume dst a block-sharing copy of volume src (creating dst with src's capacity if it does
    * not exist), all at one instant: every volume involved is write-locked together, so no write lands between the
    * copies. Then syncs.
    */
   void copyVolumes(Map<String, String> srcToDst) throws IOException {
      List<Volume> locked = new ArrayList<>();
      TreeMap<String, Volume> involved = new TreeMap<>();
      syncLock.lock(); // no sync may capture a half-created set of volumes
      try {
         for (Map.Entry<String, String> e : srcToDst.entrySet()) {
            Volume src = requireVolume(e.getKey());
            involved.put(src.name, src);
            Volume dst = volumes.get(e.getValue());
            if (dst == null) {
               dst = new Volume(this, e.getValue(), src.capacity);
               dst.markDirty();
               volumes.put(dst.name, dst);
            }
            involved.put(dst.name, dst);
         }
         lockAll(involved.values(), locked);
         try {
            for (Map.Entry<String, String> e : srcToDst.entrySet()) {
               volumes.get(e.getValue()).copyFrom(volumes.get(e.getKey()));
            }
         } finally {
            for (Volume v : locked) {
               v.lock.writeLock().unlock();
            }
         }
      } finally {
         syncLock.unlock();
      }
      sync();
   }

   /** Locks in name order, so that two multi-volume operations can never deadlock. */
   private static void lockAll(Collection<Volume> vols, List<Volume> locked) {
      List<Volume> sorted = new ArrayList<>(vols);
      sorted.sort(Comparator.comparing(v -> v.name));
      for (Volume v : sorted) {
         v.lock.writeLock().lock();
         locked.add(v);
      }
   }

   // ---------------------------------------------------------------- durability

   /** Makes every write so far durable: block store first, then the tables that point into it. */
   void sync() throws IOException {
      syncLock.lock();
      try {
         data.force(false);
         BitSet settled;
         synchronized (alloc) {
            settled = released;
            released = new BitSet();
         }
         // capturing takes each volume's lock, which also waits out any write still copying from a released slot;
         // swapping released first does not let an owner write such a slot in place: claim checks copying too
         for (Volume v : volumes.values()) {
            byte[] image = v.captureIfDirty();
            if (image != null) {
               VolumeManager.writeAtomically(dir.resolve(v.name + VOL_SUFFIX), image);
            }
         }
         synchronized (alloc) {
            for (int s = settled.nextSetBit(0); s >= 0; s = settled.nextSetBit(s + 1)) {
               if (refs[s] == 0 && !released.get(s)) {
                  if (copying[s] > 0) {
                     released.set(s); // still being read: free it at a later sync
                  } else {
                     pushFree(s);
                  }
               }
            }
         }
      } finally {
         syncLock.unlock();
      }
   }

   @Override
   public void close() throws IOException {
      for (Volume v : volumes.values()) {
         if (v.inUse()) {
            LOG.warn("Closing disk group {} while volume {} has {} open files", name, v.name, v.openChannels());
         }
      }
      try {
         sync();
      } finally {
         closeQuietly();
      }
   }

   private void closeQuietly() {
      try {
         if (data != null) {
            data.close();
         }
      } catch (IOException e) {
         LOG.warn("Closing {}", dir.resolve(DATA), e);
      }
      try {
         if (processLock != null) {
            processLock.release();
         }
         lockChannel.close();
      } catch (IOException e) {
         LOG.warn("Closing {}", dir.resolve(LOCK), e);
      }
   }
}
