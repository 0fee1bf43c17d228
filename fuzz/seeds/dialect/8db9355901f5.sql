SELECT regexp_like('a', '(')
