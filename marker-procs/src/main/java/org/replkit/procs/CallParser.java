package org.replkit.procs;

import net.sf.jsqlparser.expression.BooleanValue;
import net.sf.jsqlparser.expression.DoubleValue;
import net.sf.jsqlparser.expression.Expression;
import net.sf.jsqlparser.expression.JdbcNamedParameter;
import net.sf.jsqlparser.expression.JdbcParameter;
import net.sf.jsqlparser.expression.LongValue;
import net.sf.jsqlparser.expression.NullValue;
import net.sf.jsqlparser.expression.OracleNamedFunctionParameter;
import net.sf.jsqlparser.expression.SignedExpression;
import net.sf.jsqlparser.expression.StringValue;
import net.sf.jsqlparser.expression.VariableAssignment;
import net.sf.jsqlparser.parser.AbstractJSqlParser;
import net.sf.jsqlparser.parser.CCJSqlParserUtil;
import net.sf.jsqlparser.schema.Column;
import net.sf.jsqlparser.statement.Block;
import net.sf.jsqlparser.statement.Statement;
import net.sf.jsqlparser.statement.Statements;
import net.sf.jsqlparser.statement.execute.Execute;
import net.sf.jsqlparser.statement.execute.ExecuteArgument;
import net.sf.jsqlparser.statement.oracle.OracleBlock;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds calls of registered procedures in SQL text, in every form a JDBC client sends them:
 * {@code CALL p(..)}, the JDBC escapes {@code {call p(?,?)}} and {@code {? = call f(?)}}, {@code EXEC}/{@code
 * EXECUTE p 'a', @name = 'b'}, Oracle anonymous blocks {@code BEGIN pkg.p(a => 'x'); END;}, the bare
 * Sybase form {@code sp_start_rep_agent 'pdb', 'resync'}, solidDB's {@code ADMIN COMMAND '..'} and the
 * replication server's own commands as text.
 *
 * <p>The first word decides whether the text can be a command at all, so ordinary SQL costs one word
 * read. Only then does JSqlParser run, on the caller's thread (never CCJSqlParserUtil.parse(String),
 * which starts a thread per call), with the Oracle dialect, which is the one that parses anonymous
 * blocks. Results, including "not a command" and "malformed", are cached by text.
 */
public final class CallParser
{
   private static final int CACHE_LIMIT = 10_000;
   private static final Script NOT_A_CALL = Script.of(List.of(), false);
   private static final Pattern ESCAPE = Pattern.compile("(?is)^\\{\\s*(\\?\\s*=\\s*)?call\\b(.*)$");
   private static final Pattern ADMIN_COMMAND = Pattern.compile("(?is)^ADMIN\\s+COMMAND\\s+(?:'((?:[^']|'')*)'|(\\?))\\s*;?\\s*$");
   private static final Pattern QUOTED = Pattern.compile("'(?:[^']|'')*'");
   /** isql's batch separator, as seed 000 writes it: {@code ra_init force / go / resume resync / go}. */
   private static final Pattern GO = Pattern.compile("(?im)^\\s*go\\s*$");
   private static final Pattern NAME = Pattern.compile("\"?[A-Za-z_][\\w$]*\"?(?:\\.\"?[A-Za-z_][\\w$]*\"?)?");

   private final Registry registry;
   private final ConcurrentHashMap<String, Script> cache = new ConcurrentHashMap<>();

   public CallParser(Registry registry)
   {
      this.registry = registry;
   }

   /** The calls this text holds, or null when it is not a call of a registered procedure (send it to the database). */
   public Script parse(String sql)
   {
      Script s = cache.get(sql);
      if (s == null) {
         s = compute(sql);
         if (s == null) {
            s = NOT_A_CALL;
         }
         if (cache.size() >= CACHE_LIMIT) {
            cache.clear(); // an application generating unbounded distinct texts must not grow us without bound
         }
         cache.put(sql, s);
      }
      return s == NOT_A_CALL ? null : s;
   }

   Script compute(String sql)
   {
      final int start = skipNoise(sql, 0);
      if (start < sql.length() && GO.matcher(sql).find()) {
         return batches(sql);
      }
      if (start >= sql.length()) {
         return null;
      }
      if (sql.charAt(start) == '{') {
         return escape(sql.substring(start));
      }
      final String w1 = word(sql, start);
      final int next = skipNoise(sql, start + w1.length());
      final String w2 = word(sql, next);
      switch (w1) {
         case "CALL":
         case "EXEC":
         case "EXECUTE":
            return statement(sql.substring(start), false);
         case "BEGIN": {
            final boolean bare = next >= sql.length() || sql.charAt(next) == ';';
            if (bare || w2.equals("TRANSACTION") || w2.equals("WORK") || w2.equals("ISOLATION")) {
               return null; // BEGIN as transaction control
            }
            return statement(collapseEmptyStatements(sql.substring(start)), false);
         }
         case "ADMIN":
            if (w2.equals("COMMAND")) {
               return adminCommand(sql.substring(start));
            }
            break;
         default:
            break;
      }
      final Procedure text = registry.textCommand(w1, w2);
      if (text != null) {
         return Script.of(List.of(new Script.Call(text, List.of(new Script.Arg(null, normalizeText(sql.substring(start)))))), false);
      }
      if (registry.find(w1) != null) {
         // the Sybase form without EXEC, and the canonical texts: p 'a', 'b' and pkg.p(a => 'x')
         final int after = skipNoise(sql, start + w1.length());
         final boolean parens = after < sql.length() && sql.charAt(after) == '(';
         return statement((parens ? "CALL " : "EXEC ") + sql.substring(start), false);
      }
      return null;
   }

   /** Text with {@code go} lines: each batch must be a command; they run in order. */
   private Script batches(String sql)
   {
      final List<Script.Call> calls = new ArrayList<>();
      final List<String> others = new ArrayList<>();
      for (String batch : GO.split(sql)) {
         if (batch.isBlank()) {
            continue;
         }
         final Script s = compute(batch);
         if (s == null) {
            others.add(abbreviate(batch));
         }
         else if (s.error() != null) {
            return s;
         }
         else {
            calls.addAll(s.calls());
         }
      }
      if (calls.isEmpty()) {
         return null;
      }
      final Procedure first = calls.get(0).procedure();
      if (!others.isEmpty()) {
         return Script.malformed(first.signature() + ": ReplKit runs " + first.name() + " itself and cannot run it in one text with "
                                 + String.join("; ", others) + "; send those separately", "0A000");
      }
      for (Script.Call c : calls) {
         for (Script.Arg a : c.args()) {
            if (a.value() instanceof Script.Marker) {
               return Script.malformed(c.procedure().signature() + ": bind markers (?) are not accepted in a text of several go batches", "0A000");
            }
         }
      }
      return Script.of(calls, false);
   }

   /** {@code {call p(..)}} and {@code {? = call f(..)}}: JSqlParser does not know the escape, so it is removed first. */
   private Script escape(String sql)
   {
      final Matcher m = ESCAPE.matcher(sql);
      if (!m.matches()) {
         return null; // {fn ...}, {d '...'}: not a call
      }
      String body = m.group(2).strip();
      while (body.endsWith(";")) {
         body = body.substring(0, body.length() - 1).strip();
      }
      if (!body.endsWith("}")) {
         final Procedure p = mentioned(body);
         return p == null ? null : Script.malformed(p.signature() + ": the JDBC escape '" + abbreviate(sql) + "' has no closing }", "42601");
      }
      final Script s = statement("CALL " + body.substring(0, body.length() - 1), m.group(1) != null);
      if (s != null && s.error() == null && s.calls().size() != 1) {
         return Script.malformed(s.calls().get(0).procedure().signature() + ": a JDBC call escape holds one call", "42601");
      }
      return s;
   }

   private Script adminCommand(String sql)
   {
      final Procedure p = registry.find(Registry.ADMIN_COMMAND);
      final Matcher m = ADMIN_COMMAND.matcher(sql);
      if (!m.matches()) {
         return Script.malformed(p.signature() + ": expected one quoted command, e.g. ADMIN COMMAND 'hotstandby connect', but found '"
                                 + abbreviate(sql) + "'", "42601");
      }
      final Object value = m.group(2) != null ? new Script.Marker(1) : m.group(1).replace("''", "'");
      return Script.of(List.of(new Script.Call(p, List.of(new Script.Arg(null, value)))), false);
   }

   /** Parses CALL / EXEC / a block; null when it calls no registered procedure. */
   private Script statement(String text, boolean returnsValue)
   {
      Statements parsed;
      try {
         parsed = parse(text, false);
      }
      catch (Exception | Error simple) { // JSqlParser's lexer throws Errors too
         try {
            parsed = parse(text, true);
         }
         catch (Exception | Error e) {
            final Procedure p = mentioned(text);
            return p == null ? null : Script.malformed(p.signature() + ": cannot parse '" + abbreviate(text) + "': " + firstLine(e.getMessage()), "42601");
         }
      }
      final List<Statement> flat = new ArrayList<>();
      boolean sections = false;
      for (Statement st : parsed) {
         if (st instanceof Block b) {
            flat.addAll(b.getStatements());
            if (b instanceof OracleBlock ob) {
               sections |= (ob.getDeclarations() != null && !ob.getDeclarations().isEmpty())
                           || (ob.getExceptionHandlers() != null && !ob.getExceptionHandlers().isEmpty());
            }
         }
         else {
            flat.add(st);
         }
      }
      final List<Script.Call> calls = new ArrayList<>();
      final List<String> others = new ArrayList<>();
      final int[] markers = {returnsValue ? 1 : 0};
      try {
         for (Statement st : flat) {
            final Procedure p = st instanceof Execute e ? registry.find(e.getName()) : null;
            if (p != null) {
               calls.add(call((Execute) st, p, markers));
            }
            else {
               others.add(abbreviate(st.toString()));
            }
         }
      }
      catch (Malformed m) {
         return Script.malformed(m.getMessage(), m.sqlState);
      }
      if (calls.isEmpty()) {
         return null;
      }
      final Procedure first = calls.get(0).procedure();
      if (!others.isEmpty()) {
         return Script.malformed(first.signature() + ": ReplKit runs " + first.name() + " itself and cannot run it in one text with "
                                 + String.join("; ", others) + "; send those separately", "0A000");
      }
      if (sections) {
         return Script.malformed(first.signature() + ": ReplKit runs " + first.name() + " itself and cannot run DECLARE or EXCEPTION sections; "
                                 + "send a plain BEGIN ... END block", "0A000");
      }
      return Script.of(calls, returnsValue);
   }

   /** Simple mode first (a third of the time for calls); complex mode only for what it rejects. */
   private static Statements parse(String text, boolean complex) throws Exception
   {
      return CCJSqlParserUtil.newParser(text).withDialect(AbstractJSqlParser.Dialect.ORACLE).withAllowComplexParsing(complex).Statements();
   }

   private static Script.Call call(Execute e, Procedure p, int[] markers) throws Malformed
   {
      final boolean exec = e.getExecType() == Execute.ExecType.EXEC || e.getExecType() == Execute.ExecType.EXECUTE;
      final List<Script.Arg> args = new ArrayList<>();
      if (e.getExprList() != null) {
         int n = 0;
         for (Object o : e.getExprList()) {
            n++;
            Expression x = (Expression) o;
            if (x instanceof ExecuteArgument a) {
               if (a.isOutput()) {
                  throw new Malformed(p.signature() + ": argument " + n + " is an OUTPUT argument; " + p.name() + " has none", "42601");
               }
               x = a.getExpression();
            }
            if (x instanceof OracleNamedFunctionParameter named) {
               args.add(new Script.Arg(unquote(named.getName()), value(p, n, named.getExpression(), exec, markers)));
            }
            else if (x instanceof VariableAssignment v && "=".equals(v.getOperation())) {
               args.add(new Script.Arg(v.getVariable().getName(), value(p, n, v.getExpression(), exec, markers)));
            }
            else {
               args.add(new Script.Arg(null, value(p, n, x, exec, markers)));
            }
         }
      }
      return new Script.Call(p, List.copyOf(args));
   }

   /** A literal's value (String, BigDecimal, Boolean, null) or a bind marker. */
   private static Object value(Procedure p, int n, Expression x, boolean exec, int[] markers) throws Malformed
   {
      if (x instanceof JdbcParameter) {
         return new Script.Marker(++markers[0]);
      }
      if (x instanceof StringValue s) {
         if (s.getPrefix() != null && !s.getPrefix().equalsIgnoreCase("N")) {
            throw new Malformed(p.signature() + ": argument " + n + " (" + x + ") has the string prefix " + s.getPrefix()
                                + "; give a plain quoted string", "42601");
         }
         return s.getValue().replace("''", "'");
      }
      if (x instanceof LongValue l) {
         return new BigDecimal(l.getStringValue());
      }
      if (x instanceof DoubleValue) {
         return new BigDecimal(x.toString());
      }
      if (x instanceof SignedExpression s && (s.getExpression() instanceof LongValue || s.getExpression() instanceof DoubleValue)) {
         final BigDecimal d = (BigDecimal) value(p, n, s.getExpression(), exec, markers);
         return s.getSign() == '-' ? d.negate() : d;
      }
      if (x instanceof BooleanValue b) {
         return b.getValue();
      }
      if (x instanceof NullValue) {
         return null;
      }
      if (x instanceof Column c && exec) {
         return c.getFullyQualifiedName(); // Sybase takes an unquoted name as a string: sp_start_rep_agent pdb, 'resync'
      }
      if (x instanceof JdbcNamedParameter named) {
         throw new Malformed(p.signature() + ": argument " + n + " is the named marker :" + named.getName() + "; use ?", "42601");
      }
      throw new Malformed(p.signature() + ": argument " + n + " (" + abbreviate(String.valueOf(x)) + ") is not a literal; give a quoted string, "
                          + "a number, TRUE/FALSE, NULL or ?", "42601");
   }

   /** A registered procedure named in text that did not parse (string literals left out), or null. */
   private Procedure mentioned(String text)
   {
      final Matcher m = NAME.matcher(QUOTED.matcher(text).replaceAll("''"));
      while (m.find()) {
         final Procedure p = registry.find(m.group());
         if (p != null) {
            return p;
         }
      }
      return null;
   }

   /**
    * A server command's text as the server gets it: trimmed, without a trailing ';', whitespace outside
    * quotes collapsed to one space (a command typed over two lines is still one command).
    */
   static String normalizeText(String text)
   {
      String t = text.strip();
      while (t.endsWith(";")) {
         t = t.substring(0, t.length() - 1).strip();
      }
      final StringBuilder sb = new StringBuilder(t.length());
      boolean quoted = false;
      for (int i = 0; i < t.length(); i++) {
         final char c = t.charAt(i);
         if (c == '\'') {
            quoted = !quoted;
         }
         if (!quoted && Character.isWhitespace(c)) {
            if (sb.charAt(sb.length() - 1) != ' ') {
               sb.append(' ');
            }
         }
         else {
            sb.append(c);
         }
      }
      return sb.toString();
   }

   /** {@code ;;} (an empty statement, as in seed 004's example block) becomes {@code ;}: JSqlParser rejects it. */
   private static String collapseEmptyStatements(String block)
   {
      final StringBuilder sb = new StringBuilder(block.length());
      boolean quoted = false;
      int lastSemicolon = -1;
      for (int i = 0; i < block.length(); i++) {
         final char c = block.charAt(i);
         if (c == '\'') {
            quoted = !quoted;
         }
         if (!quoted && c == ';') {
            if (lastSemicolon >= 0 && sb.substring(lastSemicolon + 1).isBlank()) {
               continue;
            }
            lastSemicolon = sb.length();
         }
         sb.append(c);
      }
      return sb.toString();
   }

   /** Skips whitespace and comments. */
   static int skipNoise(String s, int i)
   {
      final int n = s.length();
      while (i < n) {
         final char c = s.charAt(i);
         if (Character.isWhitespace(c)) {
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

   /** The (possibly qualified) word at i, upper case: letters, digits, '_', '$' and '.'. */
   static String word(String s, int i)
   {
      int j = i;
      while (j < s.length()) {
         final char c = s.charAt(j);
         if (!(Character.isLetterOrDigit(c) || c == '_' || c == '$' || c == '.')) {
            break;
         }
         j++;
      }
      return s.substring(i, j).toUpperCase(Locale.ROOT);
   }

   private static String unquote(String name)
   {
      return name.length() > 1 && name.startsWith("\"") && name.endsWith("\"") ? name.substring(1, name.length() - 1) : name;
   }

   static String abbreviate(String s)
   {
      final String t = s.strip().replaceAll("\\s+", " ");
      return t.length() <= 120 ? t : t.substring(0, 120) + "...";
   }

   private static String firstLine(String msg)
   {
      if (msg == null) {
         return "parse error";
      }
      final int nl = msg.indexOf('\n');
      return nl < 0 ? msg : msg.substring(0, nl);
   }

   /** A malformed argument found while walking the tree; becomes the cached Script's error. */
   private static final class Malformed extends Exception
   {
      final String sqlState;

      Malformed(String message, String sqlState)
      {
         super(message, null, false, false);
         this.sqlState = sqlState;
      }
   }
}
