package org.replkit.jdbc.capture;

import net.sf.jsqlparser.parser.CCJSqlParser;
import net.sf.jsqlparser.parser.CCJSqlParserUtil;
import net.sf.jsqlparser.schema.Table;
import net.sf.jsqlparser.statement.Statement;
import net.sf.jsqlparser.statement.delete.Delete;
import net.sf.jsqlparser.statement.insert.Insert;
import net.sf.jsqlparser.statement.merge.Merge;
import net.sf.jsqlparser.statement.update.Update;
import net.sf.jsqlparser.statement.upsert.Upsert;
import org.replkit.procs.Commands;
import org.replkit.procs.Script;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.replkit.jdbc.capture.SqlInfo.Kind.*;

/**
 * Classifies SQL text for capture. A keyword check decides almost everything; JSqlParser runs only
 * on DML, to name the tables it writes, and only once per distinct text (results are cached). Parsing
 * happens on the caller's thread: no executor, no thread per statement.
 */
public final class SqlClassifier
{
   private static final int CACHE_LIMIT = 20_000;
   private static final ConcurrentHashMap<String, SqlInfo> CACHE = new ConcurrentHashMap<>();
   private static final Pattern DELTA_TABLE = Pattern.compile("(?is).*\\b(FINAL|OLD|NEW)\\s+TABLE\\s*\\(.*");
   private static final String NAME = "(?:\"(?:[^\"]|\"\")+\"|`(?:[^`]|``)+`|[\\w$]+)";
   private static final Pattern TARGET = Pattern.compile("(?is)^\\s*(?:(?:INSERT|REPLACE|UPSERT|MERGE)\\s+(?:IGNORE\\s+)?INTO|UPDATE|DELETE\\s+FROM)\\s+("
                                                         + NAME + "(?:\\." + NAME + ")?)(?:\\s|\\(|$)");
   private static final Pattern DML_WORD = Pattern.compile("(?is).*\\b(INSERT|UPDATE|DELETE|MERGE)\\b.*");

   private SqlClassifier()
   {
   }

   public static SqlInfo classify(String sql)
   {
      SqlInfo info = CACHE.get(sql);
      if (info == null) {
         info = compute(sql);
         if (CACHE.size() >= CACHE_LIMIT) {
            CACHE.clear(); // an application generating unbounded distinct texts must not grow us without bound
         }
         CACHE.put(sql, info);
      }
      return info;
   }

   static SqlInfo compute(String sql)
   {
      final int start = skipNoise(sql, 0);
      final String w1 = word(sql, start);
      switch (w1) {
         case "SELECT":
            return DELTA_TABLE.matcher(sql).matches() ? SqlInfo.of(DML) : SqlInfo.of(READ);
         case "VALUES":
         case "TABLE":
         case "SHOW":
         case "EXPLAIN":
         case "DESCRIBE":
         case "DESC":
         case "FETCH":
            return SqlInfo.of(READ);
         case "WITH":
            return DML_WORD.matcher(sql).matches() ? dml(sql) : SqlInfo.of(READ);
         case "INSERT":
         case "UPDATE":
         case "DELETE":
         case "MERGE":
         case "REPLACE":
         case "UPSERT":
            return dml(sql);
         case "COPY":
         case "LOAD":
            return SqlInfo.of(DML);
         case "CREATE":
         case "ALTER":
         case "DROP":
         case "RENAME":
         case "COMMENT":
            return SqlInfo.of(DDL);
         case "TRUNCATE":
            return SqlInfo.of(TRUNCATE);
         case "COMMIT":
         case "END":
            return SqlInfo.of(COMMIT);
         case "ROLLBACK": {
            final String w2 = word(sql, skipNoise(sql, start + w1.length()));
            return w2.equals("TO") ? SqlInfo.of(OTHER) : SqlInfo.of(ROLLBACK);
         }
         case "START":
            return SqlInfo.of(BEGIN);
         case "BEGIN": {
            final int next = skipNoise(sql, start + w1.length());
            final String w2 = word(sql, next);
            final boolean bare = next >= sql.length() || sql.charAt(next) == ';';
            return bare || w2.equals("TRANSACTION") || w2.equals("WORK") || w2.equals("ISOLATION") ? SqlInfo.of(BEGIN) : callOrCommand(sql);
         }
         case "SET":
         case "SAVEPOINT":
         case "RELEASE":
         case "LOCK":
         case "UNLOCK":
         case "GRANT":
         case "REVOKE":
         case "ANALYZE":
         case "VACUUM":
         case "USE":
         case "LISTEN":
         case "NOTIFY":
         case "UNLISTEN":
         case "DISCARD":
         case "RESET":
         case "CHECKPOINT":
         case "DECLARE":
         case "CLOSE":
         case "DEALLOCATE":
         case "PREPARE":
            return SqlInfo.of(OTHER);
         default:
            return callOrCommand(sql); // CALL, EXEC, DO, {call ...}, and whatever we do not know: may write
      }
   }

   /** A call of a ReplKit procedure (or a server command) is a COMMAND; any other call may write. */
   private static SqlInfo callOrCommand(String sql)
   {
      final Script command = Commands.recognize(sql);
      return command == null ? SqlInfo.of(CALL) : new SqlInfo(COMMAND, List.of(), null, command);
   }

   private static SqlInfo dml(String sql)
   {
      final Statement st;
      try {
         st = parse(sql);
      }
      catch (Exception e) {
         // Rows are captured by triggers whatever the syntax; the parse only names the target table.
         // Dialect syntax JSqlParser lacks (H2's MERGE ... KEY) still names it right after the verb.
         final Matcher m = TARGET.matcher(sql);
         if (m.find()) {
            final String name = m.group(1);
            final int dot = lastDotOutsideQuotes(name);
            final String schema = dot < 0 ? null : name.substring(0, dot);
            final String table = dot < 0 ? name : name.substring(dot + 1);
            return new SqlInfo(DML, List.of(new SqlInfo.TableRef(schema == null ? null : unquote(schema), unquote(table),
                                                                isQuoted(table) || (schema != null && isQuoted(schema)))), null);
         }
         return new SqlInfo(DML, List.of(), "ReplKit cannot parse this DML statement to find the tables it writes ("
                                            + firstLine(e.getMessage()) + "); rewrite it, or exclude its table from capture");
      }
      final List<SqlInfo.TableRef> tables = new ArrayList<>(1);
      if (st instanceof Insert i) {
         add(tables, i.getTable());
      }
      else if (st instanceof Update u) {
         add(tables, u.getTable());
      }
      else if (st instanceof Delete d) {
         if (d.getTables() != null && !d.getTables().isEmpty()) {
            d.getTables().forEach(t -> add(tables, t));
         }
         else {
            add(tables, d.getTable());
         }
      }
      else if (st instanceof Merge m) {
         add(tables, m.getTable());
      }
      else if (st instanceof Upsert u) {
         add(tables, u.getTable());
      }
      return new SqlInfo(DML, List.copyOf(tables), null);
   }

   /** Simple mode first (fast); complex mode only for what it rejects. JSqlParser's lexer throws Errors too. */
   static Statement parse(String sql) throws Exception
   {
      try {
         final CCJSqlParser p = CCJSqlParserUtil.newParser(sql).withAllowComplexParsing(false);
         return p.Statement();
      }
      catch (Exception | Error simple) {
         final CCJSqlParser p = CCJSqlParserUtil.newParser(sql).withAllowComplexParsing(true);
         try {
            return p.Statement();
         }
         catch (Error e) {
            throw new Exception(e.getMessage(), e);
         }
      }
   }

   private static void add(List<SqlInfo.TableRef> tables, Table t)
   {
      if (t == null || t.getName() == null) {
         return;
      }
      final String name = t.getName();
      final String schema = t.getSchemaName();
      final boolean quoted = isQuoted(name) || (schema != null && isQuoted(schema));
      tables.add(new SqlInfo.TableRef(schema == null ? null : unquote(schema), unquote(name), quoted));
   }

   private static boolean isQuoted(String s)
   {
      return s.length() > 1 && (s.charAt(0) == '"' || s.charAt(0) == '`' || s.charAt(0) == '[');
   }

   static String unquote(String s)
   {
      if (isQuoted(s)) {
         final char q = s.charAt(0);
         final String inner = s.substring(1, s.length() - 1);
         return q == '[' ? inner : inner.replace(String.valueOf(q) + q, String.valueOf(q));
      }
      return s;
   }

   private static int lastDotOutsideQuotes(String s)
   {
      int dot = -1;
      char quote = 0;
      for (int i = 0; i < s.length(); i++) {
         final char c = s.charAt(i);
         if (quote != 0) {
            if (c == quote) {
               quote = 0;
            }
         }
         else if (c == '"' || c == '`') {
            quote = c;
         }
         else if (c == '.') {
            dot = i;
         }
      }
      return dot;
   }

   /** Skips whitespace, comments, opening parentheses and a JDBC escape's brace. */
   private static int skipNoise(String s, int i)
   {
      final int n = s.length();
      while (i < n) {
         final char c = s.charAt(i);
         if (Character.isWhitespace(c) || c == '(' || c == '{') {
            i++;
         }
         else if (c == '-' && i + 1 < n && s.charAt(i + 1) == '-') {
            while (i < n && s.charAt(i) != '\n') {
               i++;
            }
         }
         else if (c == '/' && i + 1 < n && s.charAt(i + 1) == '*') {
            final int end = s.indexOf("*/", i + 2);
            i = end < 0 ? n : end + 2;
         }
         else {
            break;
         }
      }
      return i;
   }

   private static String word(String s, int i)
   {
      int j = i;
      while (j < s.length() && Character.isLetter(s.charAt(j))) {
         j++;
      }
      return s.substring(i, j).toUpperCase(Locale.ROOT);
   }

   private static String firstLine(String msg)
   {
      if (msg == null) {
         return "parse error";
      }
      final int nl = msg.indexOf('\n');
      return nl < 0 ? msg : msg.substring(0, nl);
   }
}
