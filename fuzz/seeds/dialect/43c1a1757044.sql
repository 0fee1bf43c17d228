SELECT definitely_not_a_function()
