package org.replkit.core.json;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The row-image codec: one flat JSON object per row, column name to value.
 *
 * <p>Hand-written rather than a JSON library because a row image needs exactly two things a general
 * library makes awkward: numbers must keep their exact text (a DECIMAL(10,3) 1.500 stays 1.500, a
 * double keeps its shortest round-trip digits), and a nested object or array (a json column, a
 * PostgreSQL array) must come back as the exact text the database wrote, whitespace included.
 *
 * <p>Values: {@code null}, {@link Boolean}, {@link String}, {@link BigDecimal} for numbers, and
 * {@link Raw} for nested objects and arrays.
 */
public final class Json
{
   /** A nested JSON object or array, kept as the exact text the database produced. */
   public record Raw(String text)
   {
      @Override
      public String toString()
      {
         return text;
      }
   }

   private Json()
   {
   }

   /** Parses a flat row image. Throws {@link IllegalArgumentException} naming the offset of bad input. */
   public static Map<String, Object> parseObject(String text)
   {
      final var p = new Parser(text);
      p.skipWs();
      final Map<String, Object> map = new LinkedHashMap<>();
      p.expect('{');
      p.skipWs();
      if (p.peek() == '}') {
         p.pos++;
         p.end();
         return map;
      }
      while (true) {
         p.skipWs();
         final String key = p.string();
         p.skipWs();
         p.expect(':');
         p.skipWs();
         map.put(key, p.value());
         p.skipWs();
         final char c = p.next();
         if (c == '}') {
            p.end();
            return map;
         }
         if (c != ',') {
            throw p.error("expected ',' or '}'");
         }
      }
   }

   /** Parses a JSON array, with the values {@link #parseObject} gives (nested objects and arrays as {@link Raw}). */
   public static List<Object> parseArray(String text)
   {
      final var p = new Parser(text);
      p.skipWs();
      final List<Object> list = new ArrayList<>();
      p.expect('[');
      p.skipWs();
      if (p.peek() == ']') {
         p.pos++;
         p.end();
         return list;
      }
      while (true) {
         p.skipWs();
         list.add(p.value());
         p.skipWs();
         final char c = p.next();
         if (c == ']') {
            p.end();
            return list;
         }
         if (c != ',') {
            throw p.error("expected ',' or ']'");
         }
      }
   }

   /** Writes a flat row image; values as {@link #parseObject} returns them, plus Number and Boolean. */
   public static String writeObject(Map<String, ?> row)
   {
      final var sb = new StringBuilder(64 + row.size() * 16);
      sb.append('{');
      boolean first = true;
      for (var e : row.entrySet()) {
         if (!first) {
            sb.append(',');
         }
         first = false;
         writeString(sb, e.getKey());
         sb.append(':');
         writeValue(sb, e.getValue());
      }
      return sb.append('}').toString();
   }

   public static void writeValue(StringBuilder sb, Object v)
   {
      if (v == null) {
         sb.append("null");
      }
      else if (v instanceof String s) {
         writeString(sb, s);
      }
      else if (v instanceof BigDecimal d) {
         sb.append(d.toString());
      }
      else if (v instanceof Double d && (d.isNaN() || d.isInfinite())) {
         writeString(sb, d.toString());
      }
      else if (v instanceof Float f && (f.isNaN() || f.isInfinite())) {
         writeString(sb, f.toString());
      }
      else if (v instanceof Number || v instanceof Boolean || v instanceof Raw) {
         sb.append(v);
      }
      else {
         writeString(sb, v.toString());
      }
   }

   public static void writeString(StringBuilder sb, String s)
   {
      sb.append('"');
      for (int i = 0; i < s.length(); i++) {
         final char c = s.charAt(i);
         switch (c) {
            case '"' -> sb.append("\\\"");
            case '\\' -> sb.append("\\\\");
            case '\n' -> sb.append("\\n");
            case '\r' -> sb.append("\\r");
            case '\t' -> sb.append("\\t");
            case '\b' -> sb.append("\\b");
            case '\f' -> sb.append("\\f");
            default -> {
               if (c < 0x20) {
                  sb.append(String.format("\\u%04x", (int) c));
               }
               else {
                  sb.append(c);
               }
            }
         }
      }
      sb.append('"');
   }

   private static final class Parser
   {
      private final String s;
      private int pos;

      Parser(String s)
      {
         this.s = s;
      }

      char peek()
      {
         if (pos >= s.length()) {
            throw error("unexpected end");
         }
         return s.charAt(pos);
      }

      char next()
      {
         final char c = peek();
         pos++;
         return c;
      }

      void expect(char c)
      {
         if (next() != c) {
            pos--;
            throw error("expected '" + c + "'");
         }
      }

      void skipWs()
      {
         while (pos < s.length() && Character.isWhitespace(s.charAt(pos))) {
            pos++;
         }
      }

      void end()
      {
         skipWs();
         if (pos != s.length()) {
            throw error("trailing characters");
         }
      }

      IllegalArgumentException error(String what)
      {
         final int from = Math.max(0, pos - 20);
         return new IllegalArgumentException("bad row image JSON at offset " + pos + ": " + what + " near '"
                                             + s.substring(from, Math.min(s.length(), pos + 20)) + "'");
      }

      Object value()
      {
         final char c = peek();
         switch (c) {
            case '"':
               return string();
            case '{':
            case '[': {
               final int start = pos;
               skipNested();
               return new Raw(s.substring(start, pos));
            }
            case 't':
               literal("true");
               return Boolean.TRUE;
            case 'f':
               literal("false");
               return Boolean.FALSE;
            case 'n':
               literal("null");
               return null;
            default:
               return number();
         }
      }

      void literal(String word)
      {
         if (!s.startsWith(word, pos)) {
            throw error("expected " + word);
         }
         pos += word.length();
      }

      BigDecimal number()
      {
         final int start = pos;
         while (pos < s.length() && "+-0123456789.eE".indexOf(s.charAt(pos)) >= 0) {
            pos++;
         }
         if (start == pos) {
            throw error("expected a value");
         }
         final BigDecimal small = smallDecimal(start, pos);
         if (small != null) {
            return small;
         }
         try {
            return new BigDecimal(s.substring(start, pos));
         }
         catch (NumberFormatException e) {
            throw error("bad number");
         }
      }

      String string()
      {
         expect('"');
         StringBuilder sb = null;
         int runStart = pos;
         while (true) {
            final char c = next();
            if (c == '"') {
               if (sb == null) {
                  return s.substring(runStart, pos - 1);
               }
               return sb.append(s, runStart, pos - 1).toString();
            }
            if (c == '\\') {
               if (sb == null) {
                  sb = new StringBuilder();
               }
               sb.append(s, runStart, pos - 1);
               final char e = next();
               switch (e) {
                  case '"', '\\', '/' -> sb.append(e);
                  case 'n' -> sb.append('\n');
                  case 'r' -> sb.append('\r');
                  case 't' -> sb.append('\t');
                  case 'b' -> sb.append('\b');
                  case 'f' -> sb.append('\f');
                  case 'u' -> {
                     if (pos + 4 > s.length()) {
                        throw error("short \\u escape");
                     }
                     sb.append((char) Integer.parseInt(s.substring(pos, pos + 4), 16));
                     pos += 4;
                  }
                  default -> throw error("bad escape");
               }
               runStart = pos;
            }
         }
      }

      /**
       * {@code -?digits[.digits]} with at most 18 digits, read without a substring or BigDecimal's general
       * parser (every key and most values of a row image are such numbers); null for any other form. The
       * result equals {@code new BigDecimal(text)}, scale included.
       */
      private BigDecimal smallDecimal(int from, int to)
      {
         int i = from;
         final boolean negative = s.charAt(i) == '-';
         if (negative) {
            i++;
         }
         long unscaled = 0;
         int digits = 0;
         int scale = -1;
         for (; i < to; i++) {
            final char c = s.charAt(i);
            if (c >= '0' && c <= '9') {
               unscaled = unscaled * 10 + (c - '0');
               if (++digits > 18) {
                  return null;
               }
               if (scale >= 0) {
                  scale++;
               }
            }
            else if (c == '.' && scale < 0) {
               scale = 0;
            }
            else {
               return null; // an exponent, a sign inside: the general parser decides
            }
         }
         if (digits == 0 || scale == 0) {
            return null; // "-", "1.": not numbers; the general parser rejects them
         }
         return BigDecimal.valueOf(negative ? -unscaled : unscaled, Math.max(scale, 0));
      }

      void skipNested()
      {
         int depth = 0;
         while (true) {
            final char c = next();
            if (c == '"') {
               pos--;
               string();
               continue;
            }
            if (c == '{' || c == '[') {
               depth++;
            }
            else if (c == '}' || c == ']') {
               if (--depth == 0) {
                  return;
               }
            }
         }
      }
   }
}
