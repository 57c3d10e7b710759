/* Sends the payer on to the payment service: submits the gateway form as soon as it loads. */
document.getElementById("gateway-form").submit();
