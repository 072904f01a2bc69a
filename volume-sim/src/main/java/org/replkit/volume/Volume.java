package org.replkit.volume;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * One volume: a small file namespace whose files are tables of block slots in the disk group's block store.
 * <p>
 * Every read, write, truncate and namespace change takes this volume's lock, and a snapshot takes it exclusively,
 * so a snapshot always falls between two writes: it can never see half of one. That is what makes a snapshot of a
 * running database crash-consistent.
 */
final class Volume {
   static final String ROOT = "";
   private static final int MAGIC = 0x524B5631; // "RKV1"
   private static final int[] NO_BLOCKS = new int[0];

   final DiskGroup dg;
   final String name;
   final long capacity;
   final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
   private final AtomicInteger openChannels = new AtomicInteger();

   // guarded by lock
   private final TreeMap<String, VFile> files = new TreeMap<>();
   private final TreeSet<String> dirs = new TreeSet<>();
   private long used;
   private boolean dirty;
   private boolean deleted;

   /** A file: its length and one slot per block (-1 = hole, reads as zeros). Guarded by the volume's lock. */
   static final class VFile {
      int[] blocks = NO_BLOCKS;
      long length;
      long modified;
      boolean deleted;
      // in-process H2 file locks, guarded by this
      private int sharedLocks;
      private boolean exclusiveLock;

      int blockCount(int shift) {
         return (int) ((length + (1L << shift) - 1) >>> shift);
      }

      void ensureBlocks(int count) {
         if (blocks.length < count) {
            int old = blocks.length;
            blocks = Arrays.copyOf(blocks, Math.max(count, old + (old >> 1) + 8));
            Arrays.fill(blocks, old, blocks.length, -1);
         }
      }

      synchronized boolean tryLock(boolean shared) {
         if (exclusiveLock || (!shared && sharedLocks > 0)) {
            return false;
         }
         if (shared) {
            sharedLocks++;
         } else {
            exclusiveLock = true;
         }
         return true;
      }

      synchronized void unlock(boolean shared) {
         if (shared) {
            sharedLocks--;
         } else {
            exclusiveLock = false;
         }
      }
   }

   Volume(DiskGroup dg, String name, long capacity) {
      this.dg = dg;
      this.name = name;
      this.capacity = capacity;
   }

   // ---------------------------------------------------------------- data path

   int read(VFile f, ByteBuffer dst, long pos) throws IOException {
      lock.readLock().lock();
      try {
         check(f);
         if (pos >= f.length) {
            return -1;
         }
         final int len = (int) Math.min(dst.remaining(), f.length - pos);
         final int shift = dg.shift;
         final int mask = dg.blockSize - 1;
         long p = pos;
         final long end = pos + len;
         while (p < end) {
            final int b = (int) (p >>> shift);
            final int off = (int) (p & mask);
            final int chunk = (int) Math.min(mask + 1 - off, end - p);
            final int slot = b < f.blocks.length ? f.blocks[b] : -1;
            final ByteBuffer part = dst.slice(dst.position(), chunk);
            if (slot < 0) {
               DiskGroup.zero(part);
            } else {
               dg.readFully(part, ((long) slot << shift) + off);
            }
            dst.position(dst.position() + chunk);
            p += chunk;
         }
         return len;
      } finally {
         lock.readLock().unlock();
      }
   }

   int write(VFile f, ByteBuffer src, long pos) throws IOException {
      final int len = src.remaining();
      if (len == 0) {
         return 0;
      }
      final long end = pos + len;
      lock.writeLock().lock();
      try {
         check(f);
         final long grow = end - f.length;
         if (grow > 0 && used + grow > capacity) {
            throw new IOException("No space left on volume " + dg.name + "/" + name + " (" + capacity + " bytes)");
         }
         writeLocked(f, src, pos, end);
         if (grow > 0) {
            used += grow;
            f.length = end;
         }
         f.modified = System.currentTimeMillis();
         dirty = true;
         return len;
      } finally {
         lock.writeLock().unlock();
      }
   }

   /** Copy-on-write: a block shared with a snapshot (or released since the last sync) gets a fresh slot first. */
   private void writeLocked(VFile f, ByteBuffer src, long pos, long end) throws IOException {
      final int shift = dg.shift;
      final int bs = dg.blockSize;
      final int first = (int) (pos >>> shift);
      final int last = (int) ((end - 1) >>> shift);
      f.ensureBlocks(last + 1);
      final int[] from = new int[last - first + 1];
      dg.claim(f.blocks, first, last, from);
      try {
         copyAndWrite(f, src, pos, end, first, from);
      } finally {
         dg.copied(from);
      }
   }

   private void copyAndWrite(VFile f, ByteBuffer src, long pos, long end, int first, int[] from) throws IOException {
      final int shift = dg.shift;
      final int bs = dg.blockSize;
      long p = pos;
      ByteBuffer block = null;
      for (int i = 0; i < from.length; i++) {
         final int off = (int) (p & (bs - 1));
         final int chunk = (int) Math.min(bs - off, end - p);
         final long base = (long) f.blocks[first + i] << shift;
         final ByteBuffer part = src.slice(src.position(), chunk);
         if (from[i] == DiskGroup.IN_PLACE || chunk == bs) {
            dg.writeFully(part, base + off);
         } else {
            // a fresh slot must hold the whole block: the old bytes (or zeros) around the part being written
            if (block == null) {
               block = ByteBuffer.allocate(bs);
            }
            block.clear();
            if (from[i] >= 0) {
               dg.readFully(block, (long) from[i] << shift);
               block.clear();
            } else {
               DiskGroup.zero(block);
               block.clear();
            }
            block.position(off);
            block.put(part);
            block.clear();
            dg.writeFully(block, base);
         }
         src.position(src.position() + chunk);
         p += chunk;
      }
   }

   void truncate(VFile f, long size) throws IOException {
      lock.writeLock().lock();
      try {
         check(f);
         if (size >= f.length) {
            return;
         }
         final int shift = dg.shift;
         final int keep = (int) ((size + dg.blockSize - 1) >>> shift);
         final int count = f.blockCount(shift);
         dg.release(f.blocks, keep, count);
         final int tail = (int) (size & (dg.blockSize - 1));
         if (tail != 0 && f.blocks[keep - 1] >= 0) {
            // bytes past the end must read as zeros if the file grows again
            writeLocked(f, DiskGroup.zeros(dg.blockSize - tail), size, (long) keep << shift);
         }
         used -= f.length - size;
         f.length = size;
         f.modified = System.currentTimeMillis();
         dirty = true;
      } finally {
         lock.writeLock().unlock();
      }
   }

   long length(VFile f) {
      lock.readLock().lock();
      try {
         return f.length;
      } finally {
         lock.readLock().unlock();
      }
   }

   private void check(VFile f) throws IOException {
      if (f.deleted || deleted) {
         throw new ClosedChannelException();
      }
   }

   // ---------------------------------------------------------------- namespace

   /** Opens (and for "rw" creates) a file; null if it does not exist and cannot be created. */
   VFile open(String file, boolean create) throws IOException {
      lock.writeLock().lock();
      try {
         if (deleted) {
            throw new IOException("Volume " + dg.name + "/" + name + " was deleted");
         }
         VFile f = files.get(file);
         if (f == null && create) {
            requireParent(file);
            f = newFile(file);
         }
         if (f != null) {
            openChannels.incrementAndGet();
         }
         return f;
      } finally {
         lock.writeLock().unlock();
      }
   }

   void closed() {
      openChannels.decrementAndGet();
   }

   /** True while any channel (an open H2 database, for one) is open on this volume. */
   boolean inUse() {
      return openChannels.get() > 0;
   }

   int openChannels() {
      return openChannels.get();
   }

   boolean create(String file) {
      lock.writeLock().lock();
      try {
         if (deleted || files.containsKey(file) || isDirectoryLocked(file)) {
            return false;
         }
         requireParent(file);
         newFile(file);
         return true;
      } finally {
         lock.writeLock().unlock();
      }
   }

   private VFile newFile(String file) {
      VFile f = new VFile();
      f.modified = System.currentTimeMillis();
      files.put(file, f);
      dirty = true;
      return f;
   }

   private void requireParent(String file) {
      int slash = file.lastIndexOf('/');
      if (slash > 0 && !isDirectoryLocked(file.substring(0, slash))) {
         throw new VolumeException("Directory " + file.substring(0, slash) + " does not exist on volume " + name);
      }
   }

   boolean delete(String file) {
      lock.writeLock().lock();
      try {
         VFile f = files.remove(file);
         if (f != null) {
            f.deleted = true;
            used -= f.length;
            dg.release(f.blocks, 0, f.blockCount(dg.shift));
            dirty = true;
            return true;
         }
         if (dirs.contains(file) && listLocked(file).isEmpty()) {
            dirs.remove(file);
            dirty = true;
            return true;
         }
         return false;
      } finally {
         lock.writeLock().unlock();
      }
   }

   void rename(String from, String to, boolean replace) {
      lock.writeLock().lock();
      try {
         VFile f = files.get(from);
         if (f == null) {
            throw new VolumeException("Cannot rename " + from + ": no such file on volume " + name);
         }
         if (from.equals(to)) {
            return;
         }
         if (files.containsKey(to) && !replace) {
            throw new VolumeException("Cannot rename " + from + " to " + to + ": target exists on volume " + name);
         }
         requireParent(to);
         delete(to);
         files.remove(from);
         files.put(to, f);
         dirty = true;
      } finally {
         lock.writeLock().unlock();
      }
   }

   void mkdir(String dir) {
      lock.writeLock().lock();
      try {
         if (files.containsKey(dir)) {
            throw new VolumeException("Cannot create directory " + dir + ": a file has that name on volume " + name);
         }
         requireParent(dir);
         dirty |= dirs.add(dir);
      } finally {
         lock.writeLock().unlock();
      }
   }

   boolean exists(String file) {
      lock.readLock().lock();
      try {
         return files.containsKey(file) || isDirectoryLocked(file);
      } finally {
         lock.readLock().unlock();
      }
   }

   boolean isDirectory(String file) {
      lock.readLock().lock();
      try {
         return isDirectoryLocked(file);
      } finally {
         lock.readLock().unlock();
      }
   }

   private boolean isDirectoryLocked(String file) {
      if (file.equals(ROOT) || dirs.contains(file)) {
         return true;
      }
      String prefix = file + "/";
      String next = files.ceilingKey(prefix);
      return next != null && next.startsWith(prefix);
   }

   /** File length, or -1 if there is no such file. */
   long size(String file) {
      lock.readLock().lock();
      try {
         VFile f = files.get(file);
         return f == null ? -1 : f.length;
      } finally {
         lock.readLock().unlock();
      }
   }

   long modified(String file) {
      lock.readLock().lock();
      try {
         VFile f = files.get(file);
         return f == null ? 0 : f.modified;
      } finally {
         lock.readLock().unlock();
      }
   }

   /** Names (relative to the volume) of the entries directly inside dir. */
   List<String> list(String dir) {
      lock.readLock().lock();
      try {
         return listLocked(dir);
      } finally {
         lock.readLock().unlock();
      }
   }

   private List<String> listLocked(String dir) {
      String prefix = dir.isEmpty() ? "" : dir + "/";
      TreeSet<String> out = new TreeSet<>();
      for (String n : files.tailMap(prefix, true).keySet()) {
         if (!n.startsWith(prefix)) {
            break;
         }
         int slash = n.indexOf('/', prefix.length());
         out.add(slash < 0 ? n : n.substring(0, slash));
      }
      for (String d : dirs.tailSet(prefix, false)) {
         if (!d.startsWith(prefix)) {
            break;
         }
         int slash = d.indexOf('/', prefix.length());
         out.add(slash < 0 ? d : d.substring(0, slash));
      }
      return new ArrayList<>(out);
   }

   // ---------------------------------------------------------------- snapshot support (caller holds the write lock)

   /** Makes this volume's contents a block-sharing copy of src's; the caller holds both write locks. */
   void copyFrom(Volume src) {
      for (VFile f : files.values()) {
         f.deleted = true;
         dg.release(f.blocks, 0, f.blockCount(dg.shift));
      }
      files.clear();
      dirs.clear();
      dirs.addAll(src.dirs);
      for (Map.Entry<String, VFile> e : src.files.entrySet()) {
         VFile s = e.getValue();
         VFile f = new VFile();
         f.length = s.length;
         f.modified = s.modified;
         f.blocks = Arrays.copyOf(s.blocks, s.blockCount(dg.shift));
         dg.retain(f.blocks);
         files.put(e.getKey(), f);
      }
      used = src.used;
      dirty = true;
   }

   /** Drops every file; the caller holds the write lock and has removed the volume from its disk group. */
   void drop() {
      deleted = true;
      for (VFile f : files.values()) {
         f.deleted = true;
         dg.release(f.blocks, 0, f.blockCount(dg.shift));
      }
      files.clear();
   }

   // ---------------------------------------------------------------- persistence

   /** The metadata image if it changed since the last capture, else null. */
   byte[] captureIfDirty() throws IOException {
      lock.readLock().lock();
      try {
         if (!dirty || deleted) {
            return null;
         }
         dirty = false;
         return image();
      } finally {
         lock.readLock().unlock();
      }
   }

   byte[] image() throws IOException {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream(4096);
      DataOutputStream out = new DataOutputStream(bytes);
      out.writeInt(MAGIC);
      out.writeLong(capacity);
      out.writeInt(dirs.size());
      for (String d : dirs) {
         out.writeUTF(d);
      }
      out.writeInt(files.size());
      for (Map.Entry<String, VFile> e : files.entrySet()) {
         VFile f = e.getValue();
         out.writeUTF(e.getKey());
         out.writeLong(f.length);
         out.writeLong(f.modified);
         int n = f.blockCount(dg.shift);
         out.writeInt(n);
         for (int i = 0; i < n; i++) {
            out.writeInt(f.blocks[i]);
         }
      }
      out.flush();
      return bytes.toByteArray();
   }

   static Volume read(DiskGroup dg, String name, DataInputStream in) throws IOException {
      if (in.readInt() != MAGIC) {
         throw new IOException("Not a volume metadata file: " + dg.name + "/" + name);
      }
      Volume v = new Volume(dg, name, in.readLong());
      for (int i = in.readInt(); i > 0; i--) {
         v.dirs.add(in.readUTF());
      }
      for (int i = in.readInt(); i > 0; i--) {
         String file = in.readUTF();
         VFile f = new VFile();
         f.length = in.readLong();
         f.modified = in.readLong();
         f.blocks = new int[in.readInt()];
         for (int b = 0; b < f.blocks.length; b++) {
            f.blocks[b] = in.readInt();
         }
         v.files.put(file, f);
         v.used += f.length;
      }
      return v;
   }

   /** Calls action with every slot this volume references (load time: rebuild reference counts). */
   void forEachSlot(java.util.function.IntConsumer action) {
      for (VFile f : files.values()) {
         for (int s : f.blocks) {
            if (s >= 0) {
               action.accept(s);
            }
         }
      }
   }

   long used() {
      lock.readLock().lock();
      try {
         return used;
      } finally {
         lock.readLock().unlock();
      }
   }

   void markDirty() {
      dirty = true;
   }

   @Override
   public String toString() {
      return dg.name + "/" + name;
   }
}
