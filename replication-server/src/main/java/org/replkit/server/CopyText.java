package org.replkit.server;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Rows in PostgreSQL's COPY text format, UTF-8, built in one reused buffer: columns separated by tabs,
 * rows ended by newlines, NULL as {@code \N}, and backslash, tab, newline and carriage return escaped.
 * Values are the JDBC values {@link org.replkit.core.changelog.ColumnKind#decode} gives, written in the
 * text form each PostgreSQL type reads back exactly.
 */
final class CopyText
{
   private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

   private byte[] buf = new byte[64 * 1024];
   private int len;

   void reset()
   {
      len = 0;
   }

   void tab()
   {
      put((byte) '\t');
   }

   void endRow()
   {
      put((byte) '\n');
   }

   InputStream in()
   {
      return new ByteArrayInputStream(buf, 0, len);
   }

   void value(Object v)
   {
      if (v == null) {
         put((byte) '\\');
         put((byte) 'N');
      }
      else if (v instanceof Boolean b) {
         put((byte) (b ? 't' : 'f'));
      }
      else if (v instanceof byte[] bytes) {
         // bytea's hex form, its backslash escaped for COPY
         ensure(3 + 2 * bytes.length);
         buf[len++] = '\\';
         buf[len++] = '\\';
         buf[len++] = 'x';
         for (byte x : bytes) {
            buf[len++] = HEX[(x >> 4) & 0xf];
            buf[len++] = HEX[x & 0xf];
         }
      }
      else if (v instanceof BigDecimal d) {
         ascii(d.toPlainString());
      }
      else if (v instanceof Number || v instanceof java.util.UUID || v instanceof java.time.temporal.TemporalAccessor) {
         final String s = v.toString();
         // java.time writes years beyond 9999 with a '+', which PostgreSQL does not read
         ascii(s.charAt(0) == '+' ? s.substring(1) : s);
      }
      else {
         text(v.toString());
      }
   }

   private void ascii(String s)
   {
      final int n = s.length();
      ensure(n);
      for (int i = 0; i < n; i++) {
         buf[len++] = (byte) s.charAt(i);
      }
   }

   private void text(String s)
   {
      final int n = s.length();
      ensure(2 * n);
      for (int i = 0; i < n; i++) {
         final char c = s.charAt(i);
         if (c >= 0x80) {
            // not ASCII: encode the rest at once (escapes are all ASCII, and UTF-8 never puts an ASCII byte inside a character)
            final byte[] rest = escape(s.substring(i)).getBytes(StandardCharsets.UTF_8);
            ensure(rest.length);
            System.arraycopy(rest, 0, buf, len, rest.length);
            len += rest.length;
            return;
         }
         switch (c) {
            case '\\' -> escaped('\\');
            case '\t' -> escaped('t');
            case '\n' -> escaped('n');
            case '\r' -> escaped('r');
            default -> buf[len++] = (byte) c;
         }
      }
   }

   private static String escape(String s)
   {
      final StringBuilder sb = new StringBuilder(s.length() + 8);
      for (int i = 0; i < s.length(); i++) {
         final char c = s.charAt(i);
         switch (c) {
            case '\\' -> sb.append("\\\\");
            case '\t' -> sb.append("\\t");
            case '\n' -> sb.append("\\n");
            case '\r' -> sb.append("\\r");
            default -> sb.append(c);
         }
      }
      return sb.toString();
   }

   private void escaped(char c)
   {
      buf[len++] = '\\';
      buf[len++] = (byte) c;
   }

   private void put(byte b)
   {
      ensure(1);
      buf[len++] = b;
   }

   private void ensure(int more)
   {
      if (len + more > buf.length) {
         buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + more));
      }
   }
}
