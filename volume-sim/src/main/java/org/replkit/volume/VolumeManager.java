package org.replkit.volume;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The simulated volume manager of one root directory: {@code <root>/<diskgroup>/} holds a disk group's block store
 * and the metadata of its volumes. Instances are shared per root within the process, because H2 reaches volumes by
 * path ({@code jdbc:h2:vol:<root>/<diskgroup>/<volume>/<db>}, see {@link VolFilePath}).
 */
public final class VolumeManager implements Closeable {
   private static final Logger LOG = LoggerFactory.getLogger(VolumeManager.class);
   static final String MARKER = "replkit-volumes.properties";
   private static final Pattern NAME = Pattern.compile("[A-Za-z][A-Za-z0-9_]{0,63}");
   private static final ConcurrentHashMap<Path, VolumeManager> OPEN = new ConcurrentHashMap<>();

   private final Path root;
   private final Map<String, DiskGroup> groups = new LinkedHashMap<>(); // guarded by this
   private volatile boolean closed;

   private VolumeManager(Path root) {
      this.root = root;
   }

   /** Opens (creating if needed) the volume root at dir; the same instance for the same directory. */
   public static VolumeManager open(Path dir) {
      VolFilePath.register();
      Path root = dir.toAbsolutePath().normalize();
      return OPEN.computeIfAbsent(root, r -> {
         try {
            Files.createDirectories(r);
            if (!Files.exists(r.resolve(MARKER))) {
               Properties p = new Properties();
               p.setProperty("format", "1");
               writeAtomically(r.resolve(MARKER), store(p, "ReplKit volume-sim root"));
            }
            return new VolumeManager(r);
         } catch (IOException e) {
            throw new UncheckedIOException("Cannot open volume root " + r, e);
         }
      });
   }

   /** The manager whose root contains path, opening it if a root marker is found above path; else null. */
   static VolumeManager forPath(Path path) {
      VolumeManager best = null;
      for (VolumeManager m : OPEN.values()) {
         if (path.startsWith(m.root) && (best == null || m.root.getNameCount() > best.root.getNameCount())) {
            best = m;
         }
      }
      if (best != null) {
         return best;
      }
      for (Path p = path; p != null; p = p.getParent()) {
         if (Files.isRegularFile(p.resolve(MARKER))) {
            return open(p);
         }
      }
      return null;
   }

   public Path root() {
      return root;
   }

   // ---------------------------------------------------------------- disk groups and volumes

   public void createDiskGroup(String dg) {
      createDiskGroup(dg, DiskGroup.DEFAULT_BLOCK_SIZE);
   }

   public synchronized void createDiskGroup(String dg, int blockSize) {
      checkName("disk group", dg);
      if (diskGroupExists(dg)) {
         throw new VolumeException("Disk group " + dg + " already exists under " + root);
      }
      try {
         DiskGroup.create(root.resolve(dg), blockSize);
      } catch (IOException e) {
         throw new UncheckedIOException("Cannot create disk group " + dg, e);
      }
      LOG.info("Created disk group {} (block size {}) under {}", dg, blockSize, root);
   }

   public boolean diskGroupExists(String dg) {
      return dg != null && NAME.matcher(dg).matches() && Files.isRegularFile(root.resolve(dg).resolve(DiskGroup.META));
   }

   public List<String> diskGroups() {
      List<String> out = new ArrayList<>();
      try (var s = Files.list(root)) {
         s.forEach(p -> {
            if (diskGroupExists(p.getFileName().toString())) {
               out.add(p.getFileName().toString());
            }
         });
      } catch (IOException e) {
         throw new UncheckedIOException(e);
      }
      out.sort(null);
      return out;
   }

   public void createVolume(String dg, String vol, long capacityBytes) {
      checkName("volume", vol);
      if (capacityBytes <= 0) {
         throw new VolumeException("Volume size must be positive: " + capacityBytes);
      }
      try {
         group(dg).createVolume(vol, capacityBytes);
      } catch (IOException e) {
         throw new UncheckedIOException("Cannot create volume " + dg + "/" + vol, e);
      }
      LOG.info("Created volume {}/{} of {} bytes", dg, vol, capacityBytes);
   }

   public void deleteVolume(String dg, String vol) {
      try {
         group(dg).deleteVolume(vol);
      } catch (IOException e) {
         throw new UncheckedIOException("Cannot delete volume " + dg + "/" + vol, e);
      }
   }

   public boolean volumeExists(String dg, String vol) {
      return diskGroupExists(dg) && group(dg).volume(vol) != null;
   }

   public List<String> volumes(String dg) {
      return group(dg).volumeNames();
   }

   /** True while any file on the volume is open (for one, while an H2 database on it is open). */
   public boolean inUse(String dg, String vol) {
      return group(dg).requireVolume(vol).inUse();
   }

   /** Files on the volume, relative to it. */
   public List<String> files(String dg, String vol) {
      Volume v = group(dg).requireVolume(vol);
      List<String> out = new ArrayList<>();
      collect(v, Volume.ROOT, out);
      return out;
   }

   private static void collect(Volume v, String dir, List<String> out) {
      for (String n : v.list(dir)) {
         if (v.isDirectory(n)) {
            collect(v, n, out);
         } else {
            out.add(n);
         }
      }
   }

   /** Bytes of file data stored on the volume (logical sizes, holes included). */
   public long usedBytes(String dg, String vol) {
      return group(dg).requireVolume(vol).used();
   }

   /** Bytes of block store the disk group's volumes actually reference (shared blocks counted once). */
   public long allocatedBytes(String dg) {
      DiskGroup g = group(dg);
      return g.slotsInUse() * g.blockSize;
   }

   /**
    * Copy-on-write copies of volumes, all taken at one instant (see {@link DiskGroup#copyVolumes}); an existing
    * target is refreshed. The primitive under snapshot, resync and reverse resync.
    */
   public void copyVolumes(String dg, Map<String, String> sourceToTarget) {
      for (String target : sourceToTarget.values()) {
         if (!target.startsWith(".")) {
            checkName("volume", target);
         }
      }
      try {
         group(dg).copyVolumes(sourceToTarget);
      } catch (IOException e) {
         throw new UncheckedIOException("Cannot copy volumes " + sourceToTarget + " in disk group " + dg, e);
      }
   }

   /** Makes every write so far on the disk group durable. */
   public void sync(String dg) {
      try {
         group(dg).sync();
      } catch (IOException e) {
         throw new UncheckedIOException("Cannot sync disk group " + dg, e);
      }
   }

   /** The H2 JDBC URL of database db on a volume. */
   public String jdbcUrl(String dg, String vol, String db) {
      return "jdbc:h2:" + VolFilePath.PREFIX + root.resolve(dg).resolve(vol).resolve(db);
   }

   synchronized DiskGroup group(String dg) {
      if (closed) {
         throw new VolumeException("Volume manager of " + root + " is closed");
      }
      DiskGroup g = groups.get(dg);
      if (g == null) {
         if (!diskGroupExists(dg)) {
            throw new VolumeException("No disk group " + dg + " under " + root);
         }
         try {
            g = new DiskGroup(dg, root.resolve(dg));
         } catch (IOException e) {
            throw new UncheckedIOException("Cannot open disk group " + dg, e);
         }
         groups.put(dg, g);
      }
      return g;
   }

   synchronized DiskGroup groupIfExists(String dg) {
      return groups.containsKey(dg) || diskGroupExists(dg) ? group(dg) : null;
   }

   /** Syncs and releases every disk group (and their process locks). */
   @Override
   public void close() {
      synchronized (this) {
         closed = true;
         for (DiskGroup g : groups.values()) {
            try {
               g.close();
            } catch (IOException e) {
               LOG.warn("Closing disk group {}", g.name, e);
            }
         }
         groups.clear();
      }
      OPEN.remove(root, this);
   }

   static void checkName(String what, String name) {
      if (name == null || !NAME.matcher(name).matches()) {
         throw new VolumeException("Invalid " + what + " name '" + name
               + "': use a letter, then letters, digits or _ (at most 64)");
      }
   }

   // ---------------------------------------------------------------- small durable-file helpers

   /** Replaces file with bytes so that a crash leaves either the old or the new version, never a mix. */
   static void writeAtomically(Path file, byte[] bytes) throws IOException {
      Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING)) {
         java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(bytes);
         while (b.hasRemaining()) {
            ch.write(b);
         }
         ch.force(true);
      }
      try {
         Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
         Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
      fsyncDirectory(file.getParent());
   }

   static void fsyncDirectory(Path dir) {
      try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
         ch.force(true);
      } catch (IOException e) {
         // some platforms cannot open or force a directory; the rename itself is still atomic there
         LOG.trace("Cannot fsync directory {}", dir, e);
      }
   }

   static byte[] store(Properties p, String comment) throws IOException {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      p.store(out, comment);
      return out.toByteArray();
   }

   static Properties load(Path file) throws IOException {
      Properties p = new Properties();
      try (InputStream in = Files.newInputStream(file)) {
         p.load(in);
      }
      return p;
   }
}
