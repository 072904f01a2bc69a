package org.replkit.volume;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.NonWritableChannelException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.h2.api.ErrorCode;
import org.h2.message.DbException;
import org.h2.store.fs.FileBaseDefault;
import org.h2.store.fs.FilePath;

/**
 * H2's file system on simulated volumes: {@code vol:<root>/<diskgroup>/<volume>/<path>}, so
 * {@code jdbc:h2:vol:/data/vols/PRODdg/datavol/PROD} is database PROD on volume datavol. Every read and write goes
 * through the volume's lock (see {@link Volume}), which is what makes a snapshot of a running database
 * crash-consistent.
 * <p>
 * Paths above a volume (the root, a disk group) read as directories of the real file system; volumes and disk
 * groups themselves are created with {@link VolumeManager}, never by H2.
 */
public final class VolFilePath extends FilePath {
   public static final String SCHEME = "vol";
   static final String PREFIX = SCHEME + ":";
   private static volatile boolean registered;

   private Volume volume; // resolved lazily; null above volume level
   private String file;   // path inside the volume ("" = the volume itself)
   private Path real;

   /** Makes {@code vol:} known to H2 in this process; idempotent. */
   public static synchronized void register() {
      if (!registered) {
         FilePath.register(new VolFilePath());
         registered = true;
      }
   }

   @Override
   public String getScheme() {
      return SCHEME;
   }

   @Override
   public VolFilePath getPath(String path) {
      VolFilePath p = new VolFilePath();
      String raw = path.startsWith(PREFIX) ? path.substring(PREFIX.length()) : path;
      p.real = Path.of(raw).toAbsolutePath().normalize();
      p.name = PREFIX + p.real;
      return p;
   }

   /** Finds the volume; false if this path is above volume level (or the volume does not exist). */
   private boolean resolve() {
      if (volume != null) {
         return true;
      }
      VolumeManager m = VolumeManager.forPath(real);
      if (m == null || real.getNameCount() < m.root().getNameCount() + 2) {
         return false;
      }
      Path rel = m.root().relativize(real);
      DiskGroup g = m.groupIfExists(rel.getName(0).toString());
      Volume v = g == null ? null : g.volume(rel.getName(1).toString());
      if (v == null) {
         return false;
      }
      StringBuilder sb = new StringBuilder();
      for (int i = 2; i < rel.getNameCount(); i++) {
         sb.append(i > 2 ? "/" : "").append(rel.getName(i));
      }
      file = sb.toString();
      volume = v;
      return true;
   }

   private Volume volume() {
      if (!resolve()) {
         throw DbException.get(ErrorCode.FILE_NOT_FOUND_1, name + " (not on an existing volume: create the disk"
               + " group and the volume with VolumeManager first)");
      }
      return volume;
   }

   @Override
   public long size() {
      if (!resolve()) {
         return 0;
      }
      return Math.max(0, volume.size(file));
   }

   @Override
   public void moveTo(FilePath newName, boolean atomicReplace) {
      VolFilePath to = (VolFilePath) newName;
      Volume v = volume();
      if (to.volume() != v) {
         throw DbException.get(ErrorCode.FILE_RENAME_FAILED_2, name, newName + " (not on the same volume)");
      }
      try {
         v.rename(file, to.file, atomicReplace);
      } catch (VolumeException e) {
         throw DbException.get(ErrorCode.FILE_RENAME_FAILED_2, e, name, newName.name);
      }
   }

   @Override
   public boolean createFile() {
      return volume().create(file);
   }

   @Override
   public boolean exists() {
      return resolve() ? volume.exists(file) : Files.isDirectory(real);
   }

   @Override
   public void delete() {
      if (resolve() && !file.isEmpty()) {
         volume.delete(file);
      }
   }

   @Override
   public List<FilePath> newDirectoryStream() {
      List<FilePath> out = new ArrayList<>();
      if (resolve()) {
         for (String n : volume.list(file)) {
            out.add(getPath(name + "/" + n.substring(n.lastIndexOf('/') + 1)));
         }
      } else if (Files.isDirectory(real)) {
         try (var s = Files.list(real)) {
            s.forEach(p -> out.add(getPath(p.toString())));
         } catch (IOException e) {
            throw new UncheckedIOException(e);
         }
      }
      return out;
   }

   @Override
   public VolFilePath toRealPath() {
      return this;
   }

   @Override
   public VolFilePath getParent() {
      Path parent = real.getParent();
      return parent == null ? null : getPath(parent.toString());
   }

   @Override
   public boolean isDirectory() {
      return resolve() ? volume.isDirectory(file) : Files.isDirectory(real);
   }

   @Override
   public boolean isRegularFile() {
      return resolve() && volume.size(file) >= 0;
   }

   @Override
   public boolean isAbsolute() {
      return true;
   }

   @Override
   public long lastModified() {
      return resolve() ? volume.modified(file) : 0;
   }

   @Override
   public boolean canWrite() {
      return resolve();
   }

   @Override
   public void createDirectory() {
      if (resolve()) {
         if (!file.isEmpty()) {
            volume.mkdir(file);
         }
      } else if (!Files.isDirectory(real)) {
         throw DbException.get(ErrorCode.FILE_CREATION_FAILED_1, name + " (no such volume: create the disk group"
               + " and the volume with VolumeManager first)");
      }
   }

   @Override
   public boolean setReadOnly() {
      return false;
   }

   @Override
   public FileChannel open(String mode) throws IOException {
      Volume v = volume();
      boolean readOnly = "r".equals(mode);
      Volume.VFile f = v.open(file, !readOnly);
      if (f == null) {
         throw new java.io.FileNotFoundException(name);
      }
      return new Channel(v, f, readOnly, name);
   }

   /** An open file on a volume. Positional reads and writes go straight to the volume (no channel-wide lock). */
   static final class Channel extends FileBaseDefault {
      private final Volume volume;
      private final Volume.VFile file;
      private final boolean readOnly;
      private final String name;
      private FileLock lock; // guarded by this

      Channel(Volume volume, Volume.VFile file, boolean readOnly, String name) {
         this.volume = volume;
         this.file = file;
         this.readOnly = readOnly;
         this.name = name;
      }

      @Override
      public int read(ByteBuffer dst, long position) throws IOException {
         return volume.read(file, dst, position);
      }

      @Override
      public int write(ByteBuffer src, long position) throws IOException {
         if (readOnly) {
            throw new NonWritableChannelException();
         }
         return volume.write(file, src, position);
      }

      @Override
      protected void implTruncate(long newLength) throws IOException {
         if (readOnly) {
            throw new NonWritableChannelException();
         }
         volume.truncate(file, newLength);
      }

      @Override
      public long size() {
         return volume.length(file);
      }

      @Override
      public void force(boolean metaData) throws IOException {
         volume.dg.sync();
      }

      @Override
      public synchronized FileLock tryLock(long position, long size, boolean shared) throws IOException {
         if (!isOpen()) {
            throw new java.nio.channels.ClosedChannelException();
         }
         if (!file.tryLock(shared)) {
            return null;
         }
         lock = new FileLock(this, position, size, shared) {
            private boolean valid = true;

            @Override
            public boolean isValid() {
               return valid && acquiredBy().isOpen();
            }

            @Override
            public void release() {
               if (valid) {
                  valid = false;
                  file.unlock(shared);
               }
            }
         };
         return lock;
      }

      @Override
      protected synchronized void implCloseChannel() throws IOException {
         if (lock != null) {
            lock.release(); // a lock dies with its channel, as with a real file
         }
         volume.closed();
      }

      @Override
      public String toString() {
         return name;
      }
   }
}
