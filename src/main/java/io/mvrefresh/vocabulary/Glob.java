package io.mvrefresh.vocabulary;

import java.util.regex.Pattern;

/** A glob as operators write them in settings: {@code *} any run of characters, {@code ?} one character, the rest literal. */
public record Glob(String text, Pattern pattern) {

    public Glob(String text) {
        this(text, toRegex(text));
    }

    public boolean matches(String candidate) {
        return pattern.matcher(candidate).matches();
    }

    private static Pattern toRegex(String glob) {
        StringBuilder regex = new StringBuilder();
        for (char ch : glob.toCharArray()) {
            switch (ch) {
                case '*' -> regex.append(".*");
                case '?' -> regex.append('.');
                default -> regex.append(Pattern.quote(String.valueOf(ch)));
            }
        }
        return Pattern.compile(regex.toString(), Pattern.DOTALL);
    }
}
