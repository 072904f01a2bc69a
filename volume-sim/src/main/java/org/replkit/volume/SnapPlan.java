package org.replkit.volume;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A snapplan: which database to snapshot, where it lives and how. A properties file:
 *
 * <pre>
 * PRIMARY_DB=PROD                 # H2 database name: PROD.mv.db on one of VOLUMES
 * VOLUME_ROOT=/var/replkit/vols   # volume root (relative paths: from the snapplan's directory)
 * PRIMARY_DG=PRODdg               # disk group holding the volumes
 * VOLUMES=datavol,logvol          # every volume the snapshot takes, at one instant
 * SNAPSHOT_NAME=snap1
 * SNAPSHOT_VOL_PREFIX=SNAP_       # optional; snapshot of datavol is SNAP_datavol
 * SNAPSHOT_MODE=online            # online | instant (database may run) | offline (database must be closed)
 * CLUSTERED=no                    # yes: a clustered (RAC-like) database; reverse resync is refused
 * DB_USER=sa                      # optional; to open the snapshot image and read its change-log position
 * DB_PASSWORD=                    # optional
 * </pre>
 */
public final class SnapPlan {
   public static final String PRIMARY_DB = "PRIMARY_DB";
   public static final String VOLUME_ROOT = "VOLUME_ROOT";
   public static final String PRIMARY_DG = "PRIMARY_DG";
   public static final String VOLUMES = "VOLUMES";
   public static final String SNAPSHOT_NAME = "SNAPSHOT_NAME";
   public static final String SNAPSHOT_VOL_PREFIX = "SNAPSHOT_VOL_PREFIX";
   public static final String SNAPSHOT_MODE = "SNAPSHOT_MODE";
   public static final String CLUSTERED = "CLUSTERED";
   public static final String DB_USER = "DB_USER";
   public static final String DB_PASSWORD = "DB_PASSWORD";

   private static final List<String> REQUIRED = List.of(PRIMARY_DB, VOLUME_ROOT, PRIMARY_DG, VOLUMES, SNAPSHOT_NAME,
         SNAPSHOT_MODE, CLUSTERED);
   private static final Set<String> KNOWN = Set.of(PRIMARY_DB, VOLUME_ROOT, PRIMARY_DG, VOLUMES, SNAPSHOT_NAME,
         SNAPSHOT_VOL_PREFIX, SNAPSHOT_MODE, CLUSTERED, DB_USER, DB_PASSWORD);
   private static final Pattern NAME = Pattern.compile("[A-Za-z][A-Za-z0-9_]{0,63}");
   private static final Pattern PREFIX = Pattern.compile("[A-Za-z][A-Za-z0-9_]{0,15}");

   public enum Mode { ONLINE, INSTANT, OFFLINE }

   /** One wrong field and what is wrong with it. */
   public record Problem(String field, String message) {
      @Override
      public String toString() {
         return field + ": " + message;
      }
   }

   /** The snapplan is not valid; {@link #problems()} names every wrong field. */
   public static final class InvalidException extends VolumeException {
      private static final long serialVersionUID = 1L;
      private final transient List<Problem> problems;

      InvalidException(Path file, List<Problem> problems) {
         super("Snapplan " + file + " is not valid (" + problems.size() + " problem" + (problems.size() == 1 ? "" : "s")
               + "); fix these fields and validate again:\n  " + problems.stream().map(Problem::toString)
               .collect(Collectors.joining("\n  ")));
         this.problems = List.copyOf(problems);
      }

      public List<Problem> problems() {
         return problems;
      }

      /** The wrong fields, in the order reported. */
      public List<String> fields() {
         return problems.stream().map(Problem::field).distinct().collect(Collectors.toList());
      }
   }

   private final Path file;
   private final Properties props;

   private SnapPlan(Path file, Properties props) {
      this.file = file;
      this.props = props;
   }

   public static SnapPlan read(Path file) {
      Path abs = file.toAbsolutePath().normalize();
      try {
         return new SnapPlan(abs, VolumeManager.load(abs));
      } catch (java.nio.file.NoSuchFileException e) {
         throw new VolumeException("No snapplan " + abs + "; pass an existing snapplan file with -f", e);
      } catch (IOException e) {
         throw new VolumeException("Cannot read snapplan " + abs + ": " + e, e);
      }
   }

   public Path file() {
      return file;
   }

   public String database() {
      return get(PRIMARY_DB);
   }

   public Path root() {
      String r = get(VOLUME_ROOT);
      return r == null ? null : file.getParent().resolve(r).normalize();
   }

   public String diskGroup() {
      return get(PRIMARY_DG);
   }

   public List<String> volumes() {
      String v = get(VOLUMES);
      if (v == null) {
         return List.of();
      }
      return Arrays.stream(v.split(",")).map(String::trim).filter(s -> !s.isEmpty()).collect(Collectors.toList());
   }

   public String snapshotName() {
      return get(SNAPSHOT_NAME);
   }

   public String volumePrefix() {
      String p = get(SNAPSHOT_VOL_PREFIX);
      return p == null ? "SNAP_" : p;
   }

   public String snapshotVolume(String volume) {
      return volumePrefix() + volume;
   }

   public Mode mode() {
      return Mode.valueOf(get(SNAPSHOT_MODE).toUpperCase(Locale.ROOT));
   }

   public boolean clustered() {
      String c = get(CLUSTERED).toLowerCase(Locale.ROOT);
      return c.equals("yes") || c.equals("true");
   }

   public String user() {
      String u = get(DB_USER);
      return u == null ? "sa" : u;
   }

   public String password() {
      String p = props.getProperty(DB_PASSWORD);
      return p == null ? "" : p;
   }

   private String get(String key) {
      String v = props.getProperty(key);
      return v == null || v.isBlank() ? null : v.trim();
   }

   /** A digest of the fields, so an operation can tell that the snapplan changed after it was validated. */
   String fingerprint() {
      StringBuilder sb = new StringBuilder();
      new TreeMap<>(props).forEach((k, v) -> sb.append(k).append('=').append(v.toString().trim()).append('\n'));
      try {
         return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
               .digest(sb.toString().getBytes(StandardCharsets.UTF_8)));
      } catch (NoSuchAlgorithmException e) {
         throw new IllegalStateException(e);
      }
   }

   /**
    * Every wrong field, checked against the -S database name and the volumes themselves. Checks that need a valid
    * root or disk group are skipped when those are wrong (their own problem is reported instead).
    */
   public List<Problem> problems(String sid) {
      List<Problem> out = new ArrayList<>();
      for (String key : new TreeSet<>(props.stringPropertyNames())) {
         if (!KNOWN.contains(key)) {
            out.add(new Problem(key, "unknown field; the fields are " + new TreeSet<>(KNOWN)));
         }
      }
      for (String key : REQUIRED) {
         if (get(key) == null) {
            out.add(new Problem(key, "missing; it is required"));
         }
      }
      String db = database();
      if (db != null && !NAME.matcher(db).matches()) {
         out.add(new Problem(PRIMARY_DB, "'" + db + "' is not a database name (a letter, then letters, digits or _)"));
      } else if (db != null && sid != null && !db.equals(sid)) {
         out.add(new Problem(PRIMARY_DB, "is " + db + " but the command names database " + sid + " (-S)"));
      }
      String snap = snapshotName();
      if (snap != null && !NAME.matcher(snap).matches()) {
         out.add(new Problem(SNAPSHOT_NAME, "'" + snap + "' is not a valid name (a letter, then letters, digits or _)"));
      }
      if (!PREFIX.matcher(volumePrefix()).matches()) {
         out.add(new Problem(SNAPSHOT_VOL_PREFIX, "'" + volumePrefix()
               + "' is not a valid prefix (a letter, then up to 15 letters, digits or _)"));
      }
      String mode = get(SNAPSHOT_MODE);
      if (mode != null && Arrays.stream(Mode.values()).noneMatch(m -> m.name().equalsIgnoreCase(mode))) {
         out.add(new Problem(SNAPSHOT_MODE, "'" + mode + "' is not one of online, instant, offline"));
      }
      String clustered = get(CLUSTERED);
      if (clustered != null && !Set.of("yes", "no", "true", "false").contains(clustered.toLowerCase(Locale.ROOT))) {
         out.add(new Problem(CLUSTERED, "'" + clustered + "' is not one of yes, no"));
      }
      List<String> vols = volumes();
      if (get(VOLUMES) != null) {
         Set<String> seen = new LinkedHashSet<>();
         for (String v : vols) {
            if (!seen.add(v)) {
               out.add(new Problem(VOLUMES, "names volume " + v + " twice"));
            }
            if (PREFIX.matcher(volumePrefix()).matches() && v.startsWith(volumePrefix())) {
               out.add(new Problem(VOLUMES, "volume " + v + " starts with the snapshot prefix " + volumePrefix()
                     + "; name the original volumes"));
            }
         }
         if (vols.isEmpty()) {
            out.add(new Problem(VOLUMES, "names no volume"));
         }
      }
      checkAgainstVolumes(db, vols, out);
      return out;
   }

   private void checkAgainstVolumes(String db, List<String> vols, List<Problem> out) {
      Path root = root();
      if (root == null) {
         return;
      }
      if (!Files.isRegularFile(root.resolve(VolumeManager.MARKER))) {
         out.add(new Problem(VOLUME_ROOT, root + " is not a volume root (no " + VolumeManager.MARKER + ")"));
         return;
      }
      VolumeManager vm = VolumeManager.open(root);
      String dg = diskGroup();
      if (dg == null) {
         return;
      }
      if (!vm.diskGroupExists(dg)) {
         out.add(new Problem(PRIMARY_DG, "no disk group " + dg + " under " + root + "; disk groups there: "
               + vm.diskGroups()));
         return;
      }
      List<String> missing = vols.stream().filter(v -> !vm.volumeExists(dg, v)).collect(Collectors.toList());
      if (!missing.isEmpty()) {
         out.add(new Problem(VOLUMES, "no volume " + String.join(", ", missing) + " in disk group " + dg
               + "; volumes there: " + vm.volumes(dg).stream().filter(v -> !v.startsWith("."))
               .collect(Collectors.toList())));
         return;
      }
      if (db != null && NAME.matcher(db).matches() && !vols.isEmpty() && databaseVolume() == null) {
         out.add(new Problem(PRIMARY_DB, "no database " + db + " (" + db + ".mv.db) on volumes " + vols));
      }
   }

   /** The volume holding PRIMARY_DB's data file, or null. */
   public String databaseVolume() {
      VolumeManager vm = VolumeManager.open(root());
      for (String v : volumes()) {
         if (vm.volumeExists(diskGroup(), v) && vm.files(diskGroup(), v).contains(database() + ".mv.db")) {
            return v;
         }
      }
      return null;
   }

   /** Throws {@link InvalidException} naming every wrong field, if any. */
   public SnapPlan requireValid(String sid) {
      List<Problem> problems = problems(sid);
      if (!problems.isEmpty()) {
         throw new InvalidException(file, problems);
      }
      return this;
   }
}
