package org.replkit.core.changelog;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The dump point read from the dump itself. The change log is ordinary tables in the primary, so any
 * consistent dump (a volume snapshot, pg_dump, mariadb-dump --single-transaction, H2 SCRIPT) carries
 * the rk_commit rows of exactly the transactions it contains: the highest is the position to give
 * {@code lr_dump_marker}, with the primary still taking writes (seed 000 step 5 without halting it).
 *
 * <p>Truncation keeps the newest secured commit row, so the rows left form one run of sequences. A gap
 * means a transaction was committing while the dump was taken (PostgreSQL numbers commits just before
 * COMMIT) and the dump holds later ones without it: no single position describes such a dump, and it
 * is refused rather than resynchronized wrongly.
 */
public final class DumpPoint
{
   private static final Pattern COPY = Pattern.compile("^COPY\\s+(?:\\S+\\.)?\"?rk_commit\"?\\s*\\(([^)]*)\\)\\s+FROM\\s+stdin;\\s*$", Pattern.CASE_INSENSITIVE);
   private static final Pattern INSERT = Pattern.compile("^INSERT\\s+INTO\\s+(?:[`\"]?[\\w$]+[`\"]?\\.)?[`\"]?rk_commit[`\"]?", Pattern.CASE_INSENSITIVE);
   /** The first value of each row tuple: seq is rk_commit's first column in every dialect. */
   private static final Pattern TUPLE = Pattern.compile("(?:VALUES|\\),)\\s*\\(\\s*(\\d+)\\s*,", Pattern.CASE_INSENSITIVE);

   private DumpPoint()
   {
   }

   /** From a database holding the dump (a restored copy, a snapshot opened read-only). */
   public static long of(Connection dump) throws SQLException
   {
      final Dialect d = Dialect.of(dump);
      final ChangeLogSchema log = new ChangeLogSchema(d, ChangeLogSchema.defaultSchema(d, dump));
      if (!log.isInstalled(dump)) {
         throw new SQLException("the dump holds no ReplKit change log (schema " + log.schema() + "): it was not taken from a ReplKit primary,"
                                + " or without the change-log schema" + (d == Dialect.MARIADB ? " (mariadb-dump needs --databases db replkit_db)" : ""), "42P01");
      }
      final TreeSet<Long> seqs = new TreeSet<>();
      try (PreparedStatement ps = dump.prepareStatement("SELECT seq FROM " + log.table("rk_commit")); ResultSet rs = ps.executeQuery()) {
         while (rs.next()) {
            seqs.add(rs.getLong(1));
         }
      }
      return check(seqs, "the dump");
   }

   /** From a plain SQL dump file: pg_dump (COPY), mariadb-dump or H2 SCRIPT (INSERT). */
   public static long ofFile(Path file) throws IOException
   {
      final TreeSet<Long> seqs = new TreeSet<>();
      boolean found = false;
      try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
         String line;
         while ((line = in.readLine()) != null) {
            final Matcher copy = COPY.matcher(line);
            if (copy.matches()) {
               found = true;
               final String[] cols = copy.group(1).split(",");
               int at = -1;
               for (int i = 0; i < cols.length; i++) {
                  at = cols[i].strip().replace("\"", "").equals("seq") ? i : at;
               }
               while ((line = in.readLine()) != null && !line.equals("\\.")) {
                  seqs.add(Long.parseLong(line.split("\t")[at]));
               }
            }
            else if (INSERT.matcher(line).find()) {
               found = true;
               final StringBuilder stmt = new StringBuilder(line);
               while (!stmt.toString().stripTrailing().endsWith(";") && (line = in.readLine()) != null) {
                  stmt.append('\n').append(line);
               }
               final Matcher t = TUPLE.matcher(stmt);
               while (t.find()) {
                  seqs.add(Long.parseLong(t.group(1)));
               }
            }
         }
      }
      if (!found) {
         throw new IOException(file + " holds no rows of the ReplKit change log (rk_commit): dump the change-log schema too"
                               + " (mariadb-dump --databases db replkit_db; pg_dump and H2 SCRIPT include it by default)");
      }
      try {
         return check(seqs, file.toString());
      }
      catch (SQLException e) {
         throw new IOException(e.getMessage(), e);
      }
   }

   private static long check(TreeSet<Long> seqs, String what) throws SQLException
   {
      if (seqs.isEmpty()) {
         return 0;
      }
      final long first = seqs.first();
      final long last = seqs.last();
      if (last - first + 1 != seqs.size()) {
         long missing = first;
         while (seqs.contains(missing)) {
            missing++;
         }
         throw new SQLException(what + " holds commit sequences " + first + " to " + last + " but not " + missing + ": that transaction was"
                                + " committing while the dump was taken, so no position describes the dump. Take the dump again", "55000");
      }
      return last;
   }
}
