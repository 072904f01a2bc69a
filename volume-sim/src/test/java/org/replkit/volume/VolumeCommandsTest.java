package org.replkit.volume;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import picocli.CommandLine;

/** The picocli front end: the seed's output lines, exit codes, and errors on stderr. */
class VolumeCommandsTest {
   private static final Pattern STAMP = Pattern.compile("\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d");

   @TempDir
   Path dir;
   VolumeManager vm;
   Path plan;
   final StringWriter out = new StringWriter();
   final StringWriter err = new StringWriter();

   @BeforeEach
   void setUp() throws Exception {
      vm = VolumeManager.open(dir.resolve("vols"));
      vm.createDiskGroup("PRODdg");
      vm.createVolume("PRODdg", "datavol", 64L << 20);
      try (Connection c = DriverManager.getConnection(vm.jdbcUrl("PRODdg", "datavol", "PROD"), "sa", "")) {
         c.createStatement().execute("CREATE TABLE t(id INT PRIMARY KEY)");
      }
      plan = dir.resolve("snap1");
      Files.writeString(plan, "PRIMARY_DB=PROD\nVOLUME_ROOT=vols\nPRIMARY_DG=PRODdg\nVOLUMES=datavol\n"
            + "SNAPSHOT_NAME=snap1\nSNAPSHOT_MODE=online\nCLUSTERED=yes\n");
   }

   @AfterEach
   void tearDown() {
      vm.close();
   }

   private int run(String... args) {
      CommandLine cl = new CommandLine(new VolumeCommands());
      cl.setOut(new PrintWriter(out, true));
      cl.setErr(new PrintWriter(err, true));
      return cl.execute(args);
   }

   @Test
   void theCommandsPrintTheSeedsLines() {
      assertEquals(0, run("vmchecksnap", "-S", "PROD", "-f", plan.toString(), "-o", "validate"), err.toString());
      assertEquals(0, run("vmsnap", "-S", "PROD", "-f", plan.toString(), "-o", "snapshot"), err.toString());
      String[] lines = out.toString().split("\\R");
      assertEquals("vmchecksnap started at ", STAMP.matcher(lines[0]).replaceAll(""));
      assertEquals("The option validate has been completed.", lines[2]);
      assertEquals("vmchecksnap ended at ", STAMP.matcher(lines[3]).replaceAll(""));
      assertEquals("vmsnap started at ", STAMP.matcher(lines[4]).replaceAll(""));
      assertEquals("The option snapshot has been completed.", lines[6]);
      assertEquals("vmsnap ended at ", STAMP.matcher(lines[7]).replaceAll(""));
      assertEquals(8, lines.length);
   }

   @Test
   void aRefusedOptionExitsWithOneAndSaysWhyOnStderr() {
      assertEquals(0, run("vmchecksnap", "-S", "PROD", "-f", plan.toString(), "-o", "validate"));
      assertEquals(0, run("vmsnap", "-S", "PROD", "-f", plan.toString(), "-o", "snapshot"));
      assertEquals(1, run("vmsnap", "-S", "PROD", "-f", plan.toString(), "-o", "reverse_resync_begin"));
      assertTrue(err.toString().startsWith("vmsnap ERROR: Reverse resynchronization is not supported in clustered"
            + " configurations"), err.toString());
      assertEquals(1, run("vmclonedb", "-S", "PROD", "-f", plan.toString(), "-o", "umount"));
      assertTrue(err.toString().contains("vmclonedb ERROR: Cannot run -o umount for snapshot snap1 of PROD: no clone"
            + " database is mounted"), err.toString());
   }

   @Test
   void badUsageExitsWithTwo() {
      assertEquals(2, run("vmsnap", "-S", "PROD", "-f", plan.toString(), "-o", "explode"));
      assertTrue(err.toString().contains("reverse_resync_commit"), "the valid options are listed: " + err);
   }
}
