/* test_tmpl.c: the documents' logic-less template renderer (core/lib/tmpl.c): escaping of every
 * inserted value, sections over arrays and objects, inverted sections, lookup from inner to outer
 * contexts, comments and directives, and the syntax errors a stored template is refused for. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "tmpl.h"

/* Renders src with data given as JSON text; returns the output (caller frees) or NULL. */
static char *render(const char *src, const char *json, char **err)
{
    json_t *data = json_loads(json, 0, NULL);
    assert_non_null(data);
    char *out = tmpl_render(src, strlen(src), data, NULL, err);
    json_decref(data);
    return out;
}

static void expect(const char *src, const char *json, const char *want)
{
    char *err = NULL;
    char *out = render(src, json, &err);
    assert_null(err);
    assert_non_null(out);
    assert_string_equal(out, want);
    free(out);
}

static void expect_error(const char *src, const char *fragment)
{
    char *err = NULL;
    char *out = render(src, "{}", &err);
    assert_null(out);
    assert_non_null(err);
    assert_non_null(strstr(err, fragment));
    free(err);
}

static void every_value_is_html_escaped(void **state)
{
    (void)state;
    expect("<p>{{name}}</p>", "{\"name\": \"<script>alert('x')</script> & \\\"q\\\"\"}",
           "<p>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;</p>");
}

static void triple_braces_do_not_insert_raw_html(void **state)
{
    (void)state;
    /* "{{{x}}}" is not a raw form: the name is "{x" which is missing, the last brace stays text. */
    expect("{{{x}}}", "{\"x\": \"<b>\"}", "}");
}

static void numbers_and_missing_values(void **state)
{
    (void)state;
    expect("{{n}}/{{r}}/{{missing}}/{{nul}}/{{f}}", "{\"n\": 42, \"r\": 1.5, \"nul\": null, \"f\": false}", "42/1.5///");
}

static void dotted_names_reach_into_objects(void **state)
{
    (void)state;
    expect("{{unit.name}} {{unit.uscc}}", "{\"unit\": {\"name\": \"甲公司\", \"uscc\": \"91370322MA3C00000X\"}}",
           "甲公司 91370322MA3C00000X");
}

static void sections_repeat_over_arrays(void **state)
{
    (void)state;
    expect("{{#m}}[{{name}}:{{cert_no}}]{{/m}}",
           "{\"m\": [{\"name\": \"张三\", \"cert_no\": \"A1\"}, {\"name\": \"李四\", \"cert_no\": \"B2\"}]}",
           "[张三:A1][李四:B2]");
    expect("{{#xs}}{{.}},{{/xs}}", "{\"xs\": [\"a\", \"<\"]}", "a,&lt;,");
}

static void nested_sections_see_outer_names(void **state)
{
    (void)state;
    expect("{{#items}}{{name}}:{{#cps}}{{no}}{{task}} {{/cps}}|{{/items}}",
           "{\"task\": \"T\", \"items\": [{\"name\": \"I1\", \"cps\": [{\"no\": 1}, {\"no\": 2}]}, "
           "{\"name\": \"I2\", \"cps\": []}]}",
           "I1:1T 2T |I2:|");
}

static void false_zero_and_empty_hide_a_section(void **state)
{
    (void)state;
    expect("{{#a}}A{{/a}}{{#b}}B{{/b}}{{#c}}C{{/c}}{{#d}}D{{/d}}{{#e}}E{{/e}}{{#t}}T{{/t}}",
           "{\"a\": false, \"b\": 0, \"c\": \"\", \"d\": [], \"t\": 1}", "T");
    expect("{{^a}}none{{/a}}{{^b}}B{{/b}}", "{\"a\": [], \"b\": [1]}", "none");
}

static void same_name_sections_nest(void **state)
{
    (void)state;
    expect("{{#a}}<{{#a}}in{{/a}}>{{/a}}", "{\"a\": true}", "<in>");
}

static void comments_render_nothing_and_carry_directives(void **state)
{
    (void)state;
    const char *src = "{{! about this template }}{{! categories: e, g }}x";
    expect(src, "{}", "x");
    char *d = tmpl_directive(src, strlen(src), "categories");
    assert_non_null(d);
    assert_string_equal(d, "e, g");
    free(d);
    assert_null(tmpl_directive(src, strlen(src), "kinds"));
}

static void syntax_errors_are_refused(void **state)
{
    (void)state;
    expect_error("a {{name", "unclosed tag");
    expect_error("{{#items}}x", "section 'items' is not closed");
    expect_error("{{#items}}x{{/units}}", "section 'items' is not closed");
    expect_error("x{{/items}}", "closes no open section");
    expect_error("{{}}", "empty tag");
}

static void check_sees_sections_the_data_skips(void **state)
{
    (void)state;
    char *err = NULL;
    const char *bad = "{{#items}}{{#checkpoints}}x{{/items}}";
    assert_int_equal(tmpl_check(bad, strlen(bad), &err), -1);
    assert_non_null(strstr(err, "section 'checkpoints' is not closed"));
    free(err);
    err = NULL;
    const char *good = "{{! c: d }}{{#a}}{{^b}}{{x.y}}{{/b}}{{/a}}";
    assert_int_equal(tmpl_check(good, strlen(good), &err), 0);
    assert_null(err);
}

static void nesting_is_bounded(void **state)
{
    (void)state;
    char src[1024] = "", tail[512] = "";
    for (int i = 0; i < 20; i++) {
        strcat(src, "{{#a}}");
        strcat(tail, "{{/a}}");
    }
    strcat(src, tail);
    char *err = NULL;
    char *out = render(src, "{\"a\": {\"a\": 1}}", &err);
    assert_null(out);
    assert_non_null(strstr(err, "nested deeper than 16"));
    free(err);
    err = NULL;
    assert_int_equal(tmpl_check(src, strlen(src), &err), -1);
    assert_non_null(strstr(err, "nested deeper than 16"));
    free(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_value_is_html_escaped),
        cmocka_unit_test(triple_braces_do_not_insert_raw_html),
        cmocka_unit_test(numbers_and_missing_values),
        cmocka_unit_test(dotted_names_reach_into_objects),
        cmocka_unit_test(sections_repeat_over_arrays),
        cmocka_unit_test(nested_sections_see_outer_names),
        cmocka_unit_test(false_zero_and_empty_hide_a_section),
        cmocka_unit_test(same_name_sections_nest),
        cmocka_unit_test(comments_render_nothing_and_carry_directives),
        cmocka_unit_test(syntax_errors_are_refused),
        cmocka_unit_test(check_sees_sections_the_data_skips),
        cmocka_unit_test(nesting_is_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
