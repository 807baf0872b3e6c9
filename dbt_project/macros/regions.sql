{#- Division codes read from case numbers (the region decode of staging). -#}

{#- 案号 （2022）浙0106刑初123号: the 4 digits after 浙 are the division code without 33. -#}
{% macro court_division_code(case_no) -%}
    case
        when regexp_extract({{ case_no }}, '浙([0-9]{4})', 1) <> ''
            then concat('33', regexp_extract({{ case_no }}, '浙([0-9]{4})', 1))
    end
{%- endmacro %}

{% macro city_of(division_code) -%}
    substr({{ division_code }}, 1, 4)
{%- endmacro %}
